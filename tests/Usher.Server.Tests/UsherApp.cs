using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Server.Protos;
using Usher.Testing;

namespace Usher.Server.Tests;

/// <summary>
/// A running Usher built exactly as <c>usher serve</c> builds it: in memory through the real ASP.NET
/// pipeline (TestServer), or on real Kestrel on a free port.
/// </summary>
internal sealed class UsherApp : IAsyncDisposable
{
    private readonly TempDirectory? _ownedData;

    private UsherApp(WebApplication app, HttpClient client, GrpcChannel channel, TempDirectory? ownedData)
    {
        App = app;
        Client = client;
        Channel = channel;
        Grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        Models = app.Services.GetRequiredService<ModelManager>();
        _ownedData = ownedData;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public ModelManager Models { get; }

    /// <summary>The rollout controller (after start-up).</summary>
    public RolloutController Controller => App.Services.GetRequiredService<ControlPlaneHost>().Controller
        ?? throw new InvalidOperationException("the control plane has not started");

    /// <summary>A gRPC channel to the server: in memory, or h2c to the gRPC port on Kestrel.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>A client of <c>inference.GRPCInferenceService</c> over <see cref="Channel"/>.</summary>
    public GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; }

    /// <summary>The gRPC port Kestrel bound; null in memory.</summary>
    public int? GrpcPort => App.Services.GetRequiredService<ListenEndpoints>().GrpcPort;

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
        var serverOptions = new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0 };
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
        GrpcChannel channel;
        var channelOptions = new GrpcChannelOptions { MaxReceiveMessageSize = serverOptions.GrpcMaxMessageBytes, MaxSendMessageSize = null };
        if (kestrel)
        {
            var endpoints = app.Services.GetRequiredService<ListenEndpoints>();
            client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoints.HttpPort}") };
            channel = GrpcChannel.ForAddress($"http://127.0.0.1:{endpoints.GrpcPort}", channelOptions);
        }
        else
        {
            client = app.GetTestClient();
            channelOptions.HttpHandler = app.GetTestServer().CreateHandler();
            channel = GrpcChannel.ForAddress(client.BaseAddress!, channelOptions);
        }

        var started = new UsherApp(app, client, channel, ownedData);
        if (waitForLoad)
        {
            await started.Models.InitialLoad.WaitAsync(TimeSpan.FromSeconds(60));
            await app.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));

            // On Kestrel the server then warms up through its own frontends, with its versions muted:
            // a test's requests and scrapes start once it has finished, as a client's would after ready.
            await app.Services.GetRequiredService<Usher.Server.Frontends.FrontendWarmup>().Finished.WaitAsync(TimeSpan.FromSeconds(60));
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        _ownedData?.Dispose();
    }
}
