using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;
using Usher.Server.Telemetry;

namespace Usher.Streaming.Telemetry;

/// <summary>
/// <c>usher stream --metrics-port N</c>: <c>GET /metrics</c> in Prometheus text on a small listener of
/// its own, with the exporter <c>usher serve</c> uses (<see cref="MetricsRegistration"/>), so the
/// same series come out: the streams' and, when the models run in this process, the models'.
/// </summary>
internal sealed class MetricsListener : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsListener(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address <c>/metrics</c> is served at (the port picked when 0 was asked for).</summary>
    public Uri Address { get; }

    /// <summary>Listens on every interface at <paramref name="port"/> (0: a free one); <paramref name="models"/> are the in-process models' metrics, when any.</summary>
    public static async Task<MetricsListener> StartAsync(int port, UsherMetrics? models, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Any, port);
        });
        if (models is not null)
        {
            // The models' instruments already exist; the exporter listens by meter name either way.
            builder.Services.AddSingleton(models);
        }

        builder.Services.AddUsherMetrics();
        var app = builder.Build();
        app.MapUsherMetrics();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://0.0.0.0:{port}";
        return new MetricsListener(app, new Uri(new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)), MetricsRegistration.Path));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
