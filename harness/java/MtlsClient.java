// MtlsClient: the seed 002 kind of client: a JSSE (Java 17) HTTPS client
// with a PKCS#12 keystore (its client certificate) and a truststore, like
// the API gateway's Message Processor (<KeyStore>, <KeyAlias>, <TrustStore>).
//
//   java -cp build/java MtlsClient --url https://127.0.0.1:PORT/
//        --truststore FILE.p12|FILE.pem [--truststore-password PW]
//        [--keystore FILE.p12 --keystore-password PW] [--timeout-ms N]
//
// Prints exactly one line of JSON on stdout, then exits 0 (HTTP answer) or
// 1 (exception):
//   {"result":"ok","status":200,"body":"...","issuers":[...],"alias":"client-a"}
//   {"result":"error","exception":"javax.net.ssl.SSLHandshakeException",
//    "message":"Received fatal alert: bad_certificate","issuers":[...],"alias":null}
// "issuers" are the CA names of the server's CertificateRequest as JSSE saw
// them, "alias" the key the KeyManager chose for them (null: JSSE sent an
// empty Certificate message, seed 002's "Certificate Length: 0"). Both are
// null when no CertificateRequest arrived or no keystore was given.
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

public final class MtlsClient {
    /** Records what the server asked for and what JSSE chose; delegates the choice. */
    static final class RecordingKeyManager extends X509ExtendedKeyManager {
        final X509KeyManager km;
        volatile List<String> issuers;
        volatile String alias;

        RecordingKeyManager(X509KeyManager km) { this.km = km; }

        private String note(Principal[] iss, String chosen) {
            List<String> names = new ArrayList<>();
            if (iss != null)
                for (Principal p : iss) names.add(p.getName());
            issuers = names;
            alias = chosen;
            return chosen;
        }

        @Override public String chooseClientAlias(String[] types, Principal[] iss, Socket s) {
            return note(iss, km.chooseClientAlias(types, iss, s));
        }
        @Override public String chooseEngineClientAlias(String[] types, Principal[] iss, SSLEngine e) {
            String a = km instanceof X509ExtendedKeyManager
                ? ((X509ExtendedKeyManager) km).chooseEngineClientAlias(types, iss, e)
                : km.chooseClientAlias(types, iss, null);
            return note(iss, a);
        }
        @Override public String[] getClientAliases(String t, Principal[] i) { return km.getClientAliases(t, i); }
        @Override public String[] getServerAliases(String t, Principal[] i) { return km.getServerAliases(t, i); }
        @Override public String chooseServerAlias(String t, Principal[] i, Socket s) { return km.chooseServerAlias(t, i, s); }
        @Override public X509Certificate[] getCertificateChain(String a) { return km.getCertificateChain(a); }
        @Override public PrivateKey getPrivateKey(String a) { return km.getPrivateKey(a); }
    }

    static String json(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static String jsonList(List<String> l) {
        if (l == null) return "null";
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < l.size(); i++) b.append(i > 0 ? "," : "").append(json(l.get(i)));
        return b.append(']').toString();
    }

    static KeyStore loadTrust(String path, char[] pw) throws Exception {
        if (path.endsWith(".p12") || path.endsWith(".pfx")) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = new FileInputStream(path)) { ks.load(in, pw); }
            return ks;
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int i = 0;
        try (InputStream in = new FileInputStream(path)) {
            for (Certificate c : cf.generateCertificates(in)) ks.setCertificateEntry("ca" + i++, c);
        }
        return ks;
    }

    public static void main(String[] args) {
        String url = null, trust = null, keystore = null;
        char[] trustPw = "changeit".toCharArray(), keyPw = "changeit".toCharArray();
        int timeout = 10000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--url": url = args[i + 1]; break;
                case "--truststore": trust = args[i + 1]; break;
                case "--truststore-password": trustPw = args[i + 1].toCharArray(); break;
                case "--keystore": keystore = args[i + 1]; break;
                case "--keystore-password": keyPw = args[i + 1].toCharArray(); break;
                case "--timeout-ms": timeout = Integer.parseInt(args[i + 1]); break;
                default:
                    System.err.println("MtlsClient: unknown option " + args[i]);
                    System.exit(2);
            }
        }
        if (url == null || trust == null) {
            System.err.println("MtlsClient: --url and --truststore are required");
            System.exit(2);
        }
        RecordingKeyManager rkm = null;
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(loadTrust(trust, trustPw));
            KeyManager[] kms = null;
            if (keystore != null) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try (InputStream in = new FileInputStream(keystore)) { ks.load(in, keyPw); }
                // The JDK default (SunX509): chooses a key only by key type and
                // the issuers the CertificateRequest lists, as the seed says.
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, keyPw);
                rkm = new RecordingKeyManager((X509KeyManager) kmf.getKeyManagers()[0]);
                kms = new KeyManager[] {rkm};
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kms, tmf.getTrustManagers(), null);
            HttpsURLConnection conn = (HttpsURLConnection) new URL(url).openConnection();
            conn.setSSLSocketFactory(ctx.getSocketFactory());
            conn.setConnectTimeout(timeout);
            conn.setReadTimeout(timeout);
            int status = conn.getResponseCode();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            try (InputStream in = status < 400 ? conn.getInputStream() : conn.getErrorStream()) {
                if (in != null) in.transferTo(body);
            }
            System.out.println("{\"result\":\"ok\",\"status\":" + status
                + ",\"body\":" + json(body.toString(StandardCharsets.UTF_8))
                + ",\"issuers\":" + jsonList(rkm == null ? null : rkm.issuers)
                + ",\"alias\":" + json(rkm == null ? null : rkm.alias) + "}");
            System.exit(0);
        } catch (Exception e) {
            System.out.println("{\"result\":\"error\",\"exception\":" + json(e.getClass().getName())
                + ",\"message\":" + json(e.getMessage())
                + ",\"issuers\":" + jsonList(rkm == null ? null : rkm.issuers)
                + ",\"alias\":" + json(rkm == null ? null : rkm.alias) + "}");
            System.exit(1);
        }
    }
}
