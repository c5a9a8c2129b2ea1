using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Frontends;
using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Gateway.Tests.Functional;

/// <summary>A real Usher server on Kestrel (loopback, free ports) in this process, over its own repository of the fraud sample's versions.</summary>
internal sealed class InProcessReplica : IAsyncDisposable
{
    private readonly TempDirectory _repository;
    private readonly TempDirectory _data;
    private WebApplication? _app;

    private InProcessReplica(WebApplication app, TempDirectory repository, TempDirectory data)
    {
        _app = app;
        _repository = repository;
        _data = data;
        var endpoints = app.Services.GetRequiredService<ListenEndpoints>();
        HttpAddress = $"http://127.0.0.1:{endpoints.HttpPort}";
        GrpcAddress = $"http://127.0.0.1:{endpoints.GrpcPort}";
    }

    public string HttpAddress { get; }

    public string GrpcAddress { get; }

    /// <summary>Starts a server whose repository has the fraud model's <paramref name="versions"/> (the newest serves), under the model name <paramref name="model"/>.</summary>
    public static async Task<InProcessReplica> StartAsync(int[] versions, string model = SampleModels.FraudName)
    {
        var repository = new TempDirectory();
        var data = new TempDirectory();
        foreach (var version in versions)
        {
            var path = Path.Combine(repository.Path, model, version.ToString(CultureInfo.InvariantCulture), "model.onnx");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(version));
        }

        await File.WriteAllTextAsync(Path.Combine(repository.Path, model, "config.yaml"), "version_policy:\n  all: {}\n");
        var settings = UsherSettings.Create(
            new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0 },
            new RepositoryOptions { Path = repository.Path },
            admin: new AdminOptions { DataDir = data.Path });
        var app = UsherServer.Build(settings);
        await app.StartAsync();
        await app.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<FrontendWarmup>().Finished.WaitAsync(TimeSpan.FromSeconds(60));
        return new InProcessReplica(app, repository, data);
    }

    /// <summary>Stops the server: its ports close, as a replica that went away.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _repository.Dispose();
        _data.Dispose();
    }
}
