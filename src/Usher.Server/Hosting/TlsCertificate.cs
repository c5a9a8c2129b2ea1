using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Usher.Server.Hosting;

/// <summary>Loads the certificate of <c>server.tls</c> from its PEM files, or says what is wrong with them.</summary>
internal static class TlsCertificate
{
    /// <summary>The certificate with its private key.</summary>
    /// <exception cref="SettingsException">The files cannot be used; the message says why.</exception>
    public static X509Certificate2 Load(TlsOptions tls)
    {
        var (certificate, problem) = TryLoad(tls);
        return certificate ?? throw new SettingsException(problem!);
    }

    /// <summary>Every problem with <paramref name="tls"/>, empty when the certificate loads.</summary>
    public static IEnumerable<string> Problems(TlsOptions tls)
    {
        var (certificate, problem) = TryLoad(tls);
        certificate?.Dispose();
        return problem is null ? [] : [problem];
    }

    private static (X509Certificate2? Certificate, string? Problem) TryLoad(TlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (string.IsNullOrWhiteSpace(tls.Certificate))
        {
            return (null, "server.tls.certificate: required with server.tls: a PEM file with the server's certificate (and server.tls.key with its private key)");
        }

        if (!File.Exists(tls.Certificate))
        {
            return (null, $"server.tls.certificate: the file '{tls.Certificate}' does not exist");
        }

        if (tls.Key is { } keyFile && !File.Exists(keyFile))
        {
            return (null, $"server.tls.key: the file '{keyFile}' does not exist");
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                return (null, $"server.tls.key: '{tls.Certificate}' holds no private key; set server.tls.key to the key's PEM file");
            }

            return (certificate, null);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, $"server.tls: cannot use the certificate '{tls.Certificate}' with the key '{tls.Key ?? tls.Certificate}': {e.Message} (both must be PEM, the key unencrypted and the certificate's own)");
        }
    }
}
