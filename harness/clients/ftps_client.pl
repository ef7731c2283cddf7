#!/usr/bin/perl
# The seed 000 CMS's FTPS delivery with the CMS's own stack: Net::FTP (core
# Perl) over IO::Socket::SSL. Prints what that CMS prints when AUTH TLS is
# answered but the handshake fails ("FTP failed to start tls: " and the
# server's last reply, vsftpd's "Proceed with negotiation."), then the TLS
# library's own error (IO::Socket::SSL::errstr()) on a second line.
#
#   ftps_client.pl --host H --port N --ca FILE --user U --password P
#       [--implicit | --plain] [--verify-none] [--cipher-list LIST]
#
# --verify-none is the CMS's FTPSSSLVerifyNone (SSL_verify_mode none);
# --cipher-list sets SSL_cipher_list (the CMS's FTPSOptions, e.g. AES128).
# Without it IO::Socket::SSL uses its own default list, not the system's.
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::SSL;
use Net::FTP;

my %o = (timeout => 10);
GetOptions(\%o, 'host=s', 'port=i', 'ca=s', 'user=s', 'password=s', 'implicit',
           'plain', 'verify-none', 'cipher-list=s', 'timeout=i')
  or die "usage: see the head of $0\n";

my %ssl = (
    SSL_ca_file     => $o{ca},
    SSL_verify_mode => $o{'verify-none'} ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
);
$ssl{SSL_cipher_list} = $o{'cipher-list'} if defined $o{'cipher-list'};

# Line 3 is Net::FTP's own view of the failure: the reply code it got
# (code()), so the classifier never needs the server's reply text.
my $ftp;
sub fail {
    my ($line) = @_;
    chomp $line;
    print "$line\n";
    print IO::Socket::SSL::errstr(), "\n";
    printf "Net::FTP code %s\n", $ftp ? $ftp->code : 'none';
    exit 1;
}

$ftp = Net::FTP->new($o{host}, Port => $o{port}, Timeout => $o{timeout}, Passive => 1,
                        ($o{implicit} ? (SSL => 1) : ()), %ssl)
  or fail("FTP connect failed: $@");
if (!$o{implicit} && !$o{plain}) {
    $ftp->starttls() or fail('FTP failed to start tls: ' . $ftp->message);
}
$ftp->login($o{user}, $o{password}) or fail('FTP login failed: ' . $ftp->message);
my @entries = $ftp->ls('/');
fail('FTP list failed: ' . $ftp->message) unless $ftp->ok;
$ftp->quit;
printf "FTP ok: logged in, listed %d entries\n", scalar @entries;
