using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Hosting;
using Usher.Server.Protos;
using Usher.Testing;

namespace Usher.Server.Tests.Access;

/// <summary>TLS on real Kestrel with a self-signed certificate made here, through real clients that trust only it.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly TempDirectory _dir = new();

    public TlsTests() => SampleRepository.CopySample(_repo.Path, "fraud");

    public void Dispose()
    {
        _repo.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task WithTls_RestAndGrpc_AnswerOverHttps_ToAClientThatTrustsTheCertificate()
    {
        using var certificate = SelfSigned("CN=usher-test");
        var (cert, key) = WritePem(certificate, "server");
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true, server: o => o.Tls = new TlsOptions { Certificate = cert, Key = key });
        var endpoints = app.App.Services.GetRequiredService<ListenEndpoints>();
        X509Certificate2? seen = null;
        SocketsHttpHandler Trusting()
        {
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            {
                seen ??= presented is null ? null : new X509Certificate2(presented);
                return presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
            };
            return handler;
        }

        using var handler = Trusting();
        using var grpcHandler = Trusting();
        using var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri($"https://127.0.0.1:{endpoints.HttpPort}") };
        using var ready = await client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{endpoints.GrpcPort}", new GrpcChannelOptions { HttpHandler = grpcHandler, DisposeHttpClient = false });
        var metadata = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ModelMetadataAsync(new ModelMetadataRequest { Name = "fraud" });

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("fraud", metadata.Name);
        Assert.Equal(certificate.Thumbprint, seen?.Thumbprint);
        seen?.Dispose();

        // Plain HTTP on the TLS port is no longer an answer.
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoints.HttpPort}") };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new Uri("/v2/health/ready", UriKind.Relative)));
    }

    [Fact]
    public void AKeyThatIsNotTheCertificates_OrAMissingFile_IsASettingsError_SayingWhich()
    {
        using var one = SelfSigned("CN=one");
        using var other = SelfSigned("CN=other");
        var (cert, _) = WritePem(one, "one");
        var (_, otherKey) = WritePem(other, "other");
        var missing = _dir.Combine("absent.pem");

        var mismatch = Assert.Throws<SettingsException>(() => Create(new TlsOptions { Certificate = cert, Key = otherKey }));
        var absent = Assert.Throws<SettingsException>(() => Create(new TlsOptions { Certificate = missing, Key = otherKey }));
        var noKey = Assert.Throws<SettingsException>(() => Create(new TlsOptions { Certificate = cert }));

        Assert.StartsWith($"server.tls: cannot use the certificate '{cert}' with the key '{otherKey}':", Assert.Single(mismatch.Errors), StringComparison.Ordinal);
        Assert.Equal([$"server.tls.certificate: the file '{missing}' does not exist"], absent.Errors);
        Assert.Single(noKey.Errors);
        Assert.Contains("server.tls", noKey.Errors[0], StringComparison.Ordinal);
    }

    private UsherSettings Create(TlsOptions tls)
        => UsherSettings.Create(new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0, Tls = tls }, new Core.Repository.RepositoryOptions { Path = _repo.Path });

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
    }

    private (string Certificate, string Key) WritePem(X509Certificate2 certificate, string name)
    {
        var cert = _dir.Combine(name + ".crt");
        var key = _dir.Combine(name + ".key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(key, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }
}
