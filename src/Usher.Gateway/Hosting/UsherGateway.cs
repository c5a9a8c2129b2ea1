using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Gateway.Configuration;
using Usher.Gateway.Health;
using Usher.Gateway.LoadBalancing;
using Usher.Gateway.Registry;
using Usher.Gateway.Retries;
using Usher.Gateway.Routing;
using Usher.Gateway.Telemetry;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace Usher.Gateway.Hosting;

/// <summary>
/// <c>usher gateway</c>: YARP in front of the replicas the registry lists, with the model-aware
/// choice, retries, health checks, its own <c>/metrics</c> and health (<see cref="GatewayHealth"/>).
/// </summary>
internal static class UsherGateway
{
    public const string MetricsPath = "/metrics";

    /// <summary>Builds the gateway (not started). <paramref name="time"/> drives the registry refresh and the retry budget.</summary>
    public static WebApplication Build(GatewayOptions options, TimeProvider? time = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();

        // YARP and ASP.NET Core log every request at Information: off the request path, as a replica's are.
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var endpoints = new GatewayEndpoints();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // As a replica's: windows wide enough that a 1 MB tensor crosses HTTP/2 without waiting on WINDOW_UPDATEs.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            var address = IPAddress.Parse(options.Host);
            kestrel.Listen(address, options.HttpPort, o => endpoints.Http = o);
            if (options.GrpcPort >= 0)
            {
                // h2c with prior knowledge: gRPC without TLS has no ALPN.
                kestrel.Listen(address, options.GrpcPort, o =>
                {
                    o.Protocols = HttpProtocols.Http2;
                    endpoints.Grpc = o;
                });
            }
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(endpoints);
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(_ => NpgsqlDataSource.Create(ConnectionString(options)));
        services.AddSingleton<ReplicaTableReader>();
        services.AddSingleton<ReplicaRegistry>();
        services.AddSingleton<ReplicaProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<ReplicaProxyConfigProvider>());
        services.AddSingleton<RegistryRefreshService>();
        services.AddHostedService(sp => sp.GetRequiredService<RegistryRefreshService>());
        services.AddSingleton(sp => new RetryBudget(sp.GetRequiredService<TimeProvider>(), options.RetryBudgetWindow, options.RetryBudgetRatio, options.RetryBudgetFloor));
        services.AddSingleton(_ => Random.Shared);
        services.AddSingleton<ILoadBalancingPolicy, QueueDepthPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, ConnectionFailurePolicy>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<AttemptRecorder>();
        services.AddSingleton(sp =>
        {
            sp.GetRequiredService<GatewayMetrics>();

            // Only this container's instruments: a provider listens to every meter of the name in the
            // process, and another gateway's instruments of the same names (several gateways in one
            // process, as in tests) would share its series, which end when that gateway is disposed.
            var factory = sp.GetRequiredService<IMeterFactory>();
            return Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService("usher-gateway"))
                .AddMeter(GatewayMetrics.MeterName)
                .AddView(instrument => ReferenceEquals(instrument.Meter.Scope, factory) ? null : MetricStreamConfiguration.Drop)
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
                .Build();
        });
        services.AddReverseProxy().AddTransforms(transforms =>
        {
            var budget = transforms.Services.GetRequiredService<RetryBudget>();
            var recorder = transforms.Services.GetRequiredService<AttemptRecorder>();
            var metrics = transforms.Services.GetRequiredService<GatewayMetrics>();
            transforms.AddResponseTransform(context => UnavailableResponseTransform.ApplyAsync(context, budget, recorder, metrics));
        });
        configure?.Invoke(builder);

        var app = builder.Build();
        var provider = app.Services.GetRequiredService<MeterProvider>();
        app.MapPrometheusScrapingEndpoint(MetricsPath, provider, configureBranchedPipeline: null, optionsName: null);
        GatewayHealth.Map(app);
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<RetryMiddleware>();
            proxy.UseMiddleware<ReplicaChoiceMiddleware>();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    /// <summary>
    /// Before the gateway starts: brings the shared state's schema up to date and reads the registry
    /// once, so that a database that cannot be reached stops start-up with its message.
    /// </summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<GatewayOptions>();
        await PostgresSchema.PrepareAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), Target(options).Display, cancellationToken).ConfigureAwait(false);
        await app.Services.GetRequiredService<RegistryRefreshService>().RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The shared state's connection string: <see cref="GatewayOptions.State"/> as the replicas read it, with short timeouts (a refresh is one short query a second: a stuck server must not hold it for long).</summary>
    private static string ConnectionString(GatewayOptions options)
        => new NpgsqlConnectionStringBuilder(Target(options).ConnectionString) { Timeout = 5, CommandTimeout = 5 }.ConnectionString;

    private static PostgresTarget Target(GatewayOptions options)
        => options.Target ?? throw new ArgumentException($"--state names no PostgreSQL database: {string.Join("; ", options.Problems())}", nameof(options));
}
