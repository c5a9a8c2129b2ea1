using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Server.Tests.Telemetry.Otlp;

namespace Usher.Server.Tests.Telemetry;

/// <summary>
/// An OTLP/HTTP trace receiver on real Kestrel on a free port: it decodes each protobuf
/// <c>ExportTraceServiceRequest</c> posted to <c>/v1/traces</c> and keeps its spans.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<ReceivedSpan> _spans = [];
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OtlpReceiver(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The base address to give the exporter (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>How many export requests arrived.</summary>
    public int Exports { get; private set; }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", receiver.ReceiveAsync);
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return receiver;
    }

    /// <summary>Waits (bounded) until the spans received satisfy <paramref name="done"/>; returns them all.</summary>
    public async Task<IReadOnlyList<ReceivedSpan>> WaitForAsync(Func<IReadOnlyList<ReceivedSpan>, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            Task arrived;
            IReadOnlyList<ReceivedSpan> spans;
            lock (_spans)
            {
                spans = [.. _spans];
                arrived = _arrived.Task;
            }

            if (done(spans))
            {
                return spans;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return spans;
            }

            await Task.WhenAny(arrived, Task.Delay(left));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var request = ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray());
        lock (_spans)
        {
            Exports++;
            foreach (var resource in request.ResourceSpans)
            {
                foreach (var scope in resource.ScopeSpans)
                {
                    _spans.AddRange(scope.Spans.Select(s => ReceivedSpan.From(scope.Scope?.Name ?? string.Empty, s)));
                }
            }

            _arrived.TrySetResult();
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(new ExportTraceServiceResponse().ToByteArray());
    }
}
