using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Repository;
using Usher.Server.Hosting;

namespace Usher.Server.Tests;

/// <summary>
/// A running Usher built exactly as <c>usher serve</c> builds it: in memory through the real ASP.NET
/// pipeline (TestServer), or on real Kestrel on a free port.
/// </summary>
internal sealed class UsherApp : IAsyncDisposable
{
    private UsherApp(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
        Models = app.Services.GetRequiredService<ModelManager>();
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public ModelManager Models { get; }

    public static async Task<UsherApp> StartAsync(
        string repository,
        bool kestrel = false,
        Action<ServerOptions>? server = null,
        Action<RepositoryOptions>? repo = null,
        Action<WebApplicationBuilder>? configure = null,
        bool waitForLoad = true)
    {
        var serverOptions = new ServerOptions { Host = "127.0.0.1", HttpPort = 0 };
        server?.Invoke(serverOptions);
        var repositoryOptions = new RepositoryOptions { Path = repository, UnloadTimeoutSeconds = 5 };
        repo?.Invoke(repositoryOptions);
        var settings = UsherSettings.Create(serverOptions, repositoryOptions);
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

        var started = new UsherApp(app, client);
        if (waitForLoad)
        {
            await started.Models.InitialLoad.WaitAsync(TimeSpan.FromSeconds(60));
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
