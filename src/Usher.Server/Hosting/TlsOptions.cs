namespace Usher.Server.Hosting;

/// <summary>
/// TLS on both ports (section <c>server.tls</c> of <c>usher.yaml</c>): Kestrel serves REST and gRPC
/// over HTTPS with this certificate. Without the section the ports speak plain HTTP (gRPC as h2c).
/// </summary>
internal sealed class TlsOptions
{
    /// <summary>The certificate (chain) in PEM; required.</summary>
    public string? Certificate { get; set; }

    /// <summary>The private key in PEM (PKCS#8, PKCS#1 or SEC1, unencrypted); default: the certificate's file, when it holds the key too.</summary>
    public string? Key { get; set; }
}
