// Go's crypto/tls and net/http as an HTTPS client, run by the checker
// (tlsfault_harness/clients/go.py builds it with the standard library only).
// Prints one JSON line: the HTTP status and the negotiated version (and with
// -body the body, which the mTLS pages fill with the verified subject), or
// the error's text (net/http's URL wrapper taken off) and the Go type of the
// innermost error: Go's own report.
//
//	go_https_client -url URL -ca FILE [-cert FILE -key FILE] [-profile P] [-body]
//
// Profiles: default; verify-none (InsecureSkipVerify); legacy (MinVersion
// TLS 1.0). The client certificate is offered as tls.Config.Certificates,
// so crypto/tls chooses it as a Go program does by default: only when its
// issuer is among the CertificateRequest's CA names (else it sends none).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

var versions = map[uint16]string{tls.VersionTLS10: "TLS 1.0", tls.VersionTLS11: "TLS 1.1",
	tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3"}

func report(out map[string]any) {
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	if out["ok"] != true {
		os.Exit(1)
	}
	os.Exit(0)
}

func failure(err error, status int) map[string]any {
	text := err.Error()
	var u *url.Error
	if errors.As(err, &u) {
		text = u.Err.Error() // without `Get "URL": `
	}
	out := map[string]any{"ok": false, "type": fmt.Sprintf("%T", innermost(err)), "error": text}
	if status != 0 {
		out["status"] = status
	}
	return out
}

// innermost is the deepest wrapped error: what crypto/tls, x509 or the
// socket said (a received alert is a tls.alert under "remote error").
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func config(ca, cert, key, profile string) (*tls.Config, error) {
	pem, err := os.ReadFile(ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool() // the suite's CA only, never the system's
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", ca)
	}
	cfg := &tls.Config{RootCAs: pool}
	switch profile {
	case "default":
	case "verify-none":
		cfg.InsecureSkipVerify = true
	case "legacy":
		cfg.MinVersion = tls.VersionTLS10
	default:
		return nil, fmt.Errorf("unknown profile %q", profile)
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func main() {
	target := flag.String("url", "", "https URL")
	ca := flag.String("ca", "", "CA file (PEM)")
	cert := flag.String("cert", "", "client certificate (PEM)")
	key := flag.String("key", "", "client key (PEM)")
	profile := flag.String("profile", "default", "default | verify-none | legacy")
	body := flag.Bool("body", false, "report the body")
	flag.Parse()
	cfg, err := config(*ca, *cert, *key, *profile)
	if err != nil {
		report(map[string]any{"ok": false, "type": "setup", "error": err.Error()})
	}
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		TLSClientConfig: cfg, Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Get(*target)
	if err != nil {
		report(failure(err, 0))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		report(failure(err, resp.StatusCode))
	}
	out := map[string]any{"ok": true, "status": resp.StatusCode,
		"version": versions[resp.TLS.Version]}
	if *body {
		out["body"] = string(data)
	}
	report(out)
}
