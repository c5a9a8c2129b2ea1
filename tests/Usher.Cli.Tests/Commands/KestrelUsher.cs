using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Cli.Tests.Commands;

/// <summary>
/// A real Usher server on Kestrel (loopback, port 0), shared by a test class, over a repository with
/// model <c>fraud</c> versions 1 and 2 (version 2 serves), so that a dry run's admission checks pass.
/// </summary>
public sealed class KestrelUsher : IAsyncLifetime
{
    private readonly TempDirectory _repository = new();
    private readonly TempDirectory _data = new();
    private WebApplication? _app;

    /// <summary>The server's base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (var version in new[] { 1, 2 })
        {
            var path = Path.Combine(_repository.Path, "fraud", version.ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(version));
        }

        var settings = UsherSettings.Create(
            new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0 },
            new RepositoryOptions { Path = _repository.Path },
            admin: new AdminOptions { DataDir = _data.Path });
        _app = UsherServer.Build(settings);
        await _app.StartAsync();
        Url = new Uri($"http://127.0.0.1:{_app.Services.GetRequiredService<ListenEndpoints>().HttpPort}");

        // The admin API answers 503 until the repository has loaded and the control plane started.
        await _app.Services.GetRequiredService<ControlPlaneHost>().Started;

        // And readiness waits for the warm-up through the frontends (its versions are muted meanwhile).
        await _app.Services.GetRequiredService<Usher.Server.Frontends.FrontendWarmup>().Finished;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _repository.Dispose();
        _data.Dispose();
    }
}
