using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests;

/// <summary>
/// A running Usher built exactly as <c>usher serve</c> builds it: in memory through the real ASP.NET
/// pipeline (TestServer), or on real Kestrel on a free port.
/// </summary>
internal sealed class UsherApp : IAsyncDisposable
{
    private readonly TempDirectory? _ownedData;

    private UsherApp(WebApplication app, HttpClient client, TempDirectory? ownedData)
    {
        App = app;
        Client = client;
        Models = app.Services.GetRequiredService<ModelManager>();
        _ownedData = ownedData;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public ModelManager Models { get; }

    /// <summary>The rollout controller (after start-up).</summary>
    public RolloutController Controller => App.Services.GetRequiredService<ControlPlaneHost>().Controller
        ?? throw new InvalidOperationException("the control plane has not started");

    public static async Task<UsherApp> StartAsync(
        string repository,
        bool kestrel = false,
        Action<ServerOptions>? server = null,
        Action<RepositoryOptions>? repo = null,
        Action<WebApplicationBuilder>? configure = null,
        bool waitForLoad = true,
        Action<AdminOptions>? admin = null,
        string? dataDir = null)
    {
        var serverOptions = new ServerOptions { Host = "127.0.0.1", HttpPort = 0 };
        server?.Invoke(serverOptions);
        var repositoryOptions = new RepositoryOptions { Path = repository, UnloadTimeoutSeconds = 5 };
        repo?.Invoke(repositoryOptions);
        var ownedData = dataDir is null ? new TempDirectory() : null;
        var adminOptions = new AdminOptions { DataDir = dataDir ?? ownedData!.Path };
        admin?.Invoke(adminOptions);
        var settings = UsherSettings.Create(serverOptions, repositoryOptions, admin: adminOptions);
        var app = UsherServer.Build(settings, builder =>
        {
            if (!kestrel)
            {
                builder.WebHost.UseTestServer();
            }

            configure?.Invoke(builder);
        });
        await app.StartAsync();
        HttpClient client;
        if (kestrel)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            client = new HttpClient { BaseAddress = new Uri(address) };
        }
        else
        {
            client = app.GetTestClient();
        }

        var started = new UsherApp(app, client, ownedData);
        if (waitForLoad)
        {
            await started.Models.InitialLoad.WaitAsync(TimeSpan.FromSeconds(60));
            await app.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        _ownedData?.Dispose();
    }
}
