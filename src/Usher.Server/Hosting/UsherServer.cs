using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.Backends.Onnx.Hosting;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Server.Access;
using Usher.Core.Hosting;
using Usher.Core.Routing;
using Usher.Server.Admin;
using Usher.Server.Dashboard;
using Usher.Server.Frontends;
using Usher.Server.Frontends.Grpc;
using Usher.Server.Frontends.Http;
using Usher.Server.Telemetry;

namespace Usher.Server.Hosting;

/// <summary>Builds the Usher web application: Kestrel, the model manager, the frontends.</summary>
internal static class UsherServer
{
    /// <summary>
    /// Builds the server for <paramref name="settings"/>. <paramref name="configure"/> runs on the
    /// builder after every service is added (tests swap in the test server or a fake time provider
    /// there), before tracing is decided from the configuration (<c>OTEL_EXPORTER_OTLP_*</c>). The control plane
    /// uses <paramref name="state"/> when given (see <see cref="OpenStateAsync"/>; the server then owns
    /// it), and otherwise opens its state store as it starts.
    /// </summary>
    public static WebApplication Build(UsherSettings settings, Action<WebApplicationBuilder>? configure = null, IStateHandle? state = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(UsherServer).Assembly.GetName().Name });
        ServerLogging.Configure(builder.Logging, settings.Server.LogFormat);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        ClientResetLogging.Register(builder.Services);

        var server = settings.Server;
        var endpoints = new ListenEndpoints();

        // Loaded once, here: the settings' validator has already said what is wrong with the files.
        var certificate = server.Tls is { } tls ? TlsCertificate.Load(tls) : null;
        endpoints.Certificate = certificate;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes;

            // Windows wide enough that a 1 MB tensor crosses HTTP/2 without waiting on WINDOW_UPDATEs.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            Listen(kestrel, server.Host, server.HttpPort, o =>
            {
                endpoints.Http = o;
                if (certificate is not null)
                {
                    o.UseHttps(certificate);
                }
            });
            if (server.GrpcPort >= 0)
            {
                // gRPC is HTTP/2 only; without TLS there is no ALPN, so the port speaks h2c (prior knowledge).
                Listen(kestrel, server.Host, server.GrpcPort, o =>
                {
                    o.Protocols = HttpProtocols.Http2;
                    endpoints.Grpc = o;
                    if (certificate is not null)
                    {
                        o.UseHttps(certificate);
                    }
                });
            }
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(server.ShutdownTimeoutSeconds));
        SocketScheduling.Configure(builder.Services, Environment.GetEnvironmentVariable(SocketScheduling.InlineCompletionsVariable));

        settings.AddOptions(builder.Services);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(endpoints);
        if (server.MemoryBudget is { } budget && MemoryBudgetSetting.Resolve(budget, server.CgroupRoot, out _) is long budgetBytes)
        {
            // Model density: the model manager loads versions on demand within the budget (docs/density.md).
            builder.Services.AddSingleton(new Core.Repository.DensitySettings(budgetBytes, TimeSpan.FromSeconds(server.ModelLoadTimeoutSeconds), server.ModelMemoryFactor));
        }

        builder.Services.AddUsherCore().AddOnnxBackend();
        builder.Services.AddUsherRequestLogging();
        builder.Services.AddSingleton<MemoryReturn>();
        builder.Services.AddUsherMetrics();
        builder.Services.AddUsherDashboard();
        if (state is not null)
        {
            builder.Services.AddSingleton(state);
        }

        if (settings.Admin.State is not null)
        {
            // Replicas share their analysis: each window also keeps mergeable summaries to flush. By the
            // setting, not the handle: a host built before its shared state is opened is a replica too.
            builder.Services.AddSingleton(sp => new TrafficRecorder(
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<InferenceRouter>().Observations, summarise: true));
        }

        // Before the repository loader: the control plane restores the versions its route tables need.
        builder.Services.AddUsherControlPlane();
        builder.Services.AddSingleton<ApiAccess>();
        builder.Services.AddUsherGrpc(server);
        builder.Services.AddResponseCompression(o =>
        {
            o.Providers.Add(new GzipCompressionProvider(new GzipCompressionProviderOptions { Level = System.IO.Compression.CompressionLevel.Fastest }));
            o.Providers.Add<ZLibCompressionProvider>();
            o.MimeTypes = ["application/json", "application/octet-stream"];
        });

        // Before the repository loader: hosted services start in order, so a service the caller adds
        // (the streams, whose brokers must answer) can refuse start-up before any model begins to load.
        configure?.Invoke(builder);

        builder.Services.AddHostedService<RepositoryLoaderService>();

        // After the repository loader, and readiness waits for it (server.warmup_seconds; 0: none). The
        // clock is the real one even where a test injects a fake: it times the JIT's background work.
        var warmup = new FrontendWarmup();
        builder.Services.AddSingleton(warmup);
        if (server.WarmupSeconds > 0)
        {
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<FrontendWarmupService>(sp, TimeProvider.System));
        }
        else
        {
            warmup.Finish();
        }
        if (settings.Repository.PollSeconds > 0)
        {
            builder.Services.AddHostedService<RepositoryPollerService>();
        }

        // After configure, so that the configuration it adds (a test's receiver) counts too.
        builder.Services.AddUsherTracing(builder.Configuration);

        var app = builder.Build();
        app.UseUsherErrors();

        // Inference answers honour Accept-Encoding (gzip, deflate), as Triton's do; the small
        // health and metadata answers are not worth coding. A request without Accept-Encoding skips
        // the branch: the middleware would only look for the header and log at Debug that it is absent.
        app.UseWhen(InferenceAcceptsCoding, b => b.UseResponseCompression());

        // Routing first, so that the admin guard sees the endpoint a request reached, whatever its path's case.
        app.UseRouting();
        app.UseAdminAuthentication();
        app.UseApiAccess();
        app.MapUsherHttp();
        app.MapUsherAdmin();
        app.MapUsherFeedback();
        app.MapUsherGrpc();
        app.MapUsherMetrics();
        app.MapUsherDashboard();
        return app;
    }

    /// <summary>
    /// Opens the control plane's state store for <paramref name="settings"/> before the server is
    /// built: the PostgreSQL database of <c>admin.state</c>, or the state file (locked) where
    /// <c>admin.data_dir</c> or the repository puts it, so that a store that cannot be used stops
    /// start-up with its message alone.
    /// </summary>
    /// <exception cref="StateStoreException">With a message that names the file and what to do.</exception>
    public static Task<IStateHandle> OpenStateAsync(UsherSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ControlPlaneService.OpenStateAsync(settings.Admin, Path.GetFullPath(settings.Repository.Path), cancellationToken);
    }

    /// <summary>Whether a request's answer may be coded: an inference request that sends <c>Accept-Encoding</c>.</summary>
    private static bool InferenceAcceptsCoding(HttpContext context)
        => context.Request.Headers.AcceptEncoding.Count > 0
            && context.Request.Path.Value?.EndsWith("/infer", StringComparison.Ordinal) == true;

    private static void Listen(KestrelServerOptions kestrel, string host, int port, Action<ListenOptions> configure)
    {
        if (host == "localhost")
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(host), port, configure);
        }
    }
}
