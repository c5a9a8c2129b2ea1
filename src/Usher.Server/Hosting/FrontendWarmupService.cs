using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Frontends;
using Usher.Server.Frontends.Http;
using Usher.Server.Protos;

namespace Usher.Server.Hosting;

/// <summary>
/// Warms the server up through its own frontends before it reports ready: once Kestrel listens, the
/// models are loaded and the control plane has started, it sends each ready version requests over
/// loopback (REST JSON, REST with binary tensors, gRPC <c>ModelInfer</c>) in rounds, each past the
/// runtime's call-counting threshold, and after each round waits for the JIT to go quiet, until a
/// round compiles nothing new or <see cref="ServerOptions.WarmupSeconds"/> has passed. The first
/// clients then run code at its final tier (Kestrel, routing, the handlers, the codec, the router,
/// the version's pipeline, the response writers), not tier-0 code, which the in-memory warm-up at
/// load cannot reach.
/// </summary>
/// <remarks>
/// Nothing of it is counted: the requests pin their version (so no route table, rollout, experiment
/// or shadow sees them), and the versions are muted while it runs (not counted in <c>/metrics</c>,
/// not offered to request logs). Readiness waits for it (<see cref="FrontendWarmup"/>); liveness does
/// not. A request that fails (an API key required, a rate limit) stops that kind of request for
/// that version; the server reports ready all the same.
/// </remarks>
internal sealed partial class FrontendWarmupService(
    ModelManager models,
    ControlPlaneHost controlPlane,
    ListenEndpoints endpoints,
    FrontendWarmup warmup,
    IHostApplicationLifetime lifetime,
    ServerOptions options,
    TimeProvider jitClock,
    ILogger<FrontendWarmupService> logger) : BackgroundService
{
    /// <summary>
    /// Requests of each kind per version in a round: past the runtime's call-counting threshold (30
    /// calls), so that each round moves every method the requests run up one tier.
    /// </summary>
    internal const int RoundRequests = 32;

    /// <summary>A round after which the JIT compiled fewer methods than this has settled: the code is at its final tier.</summary>
    internal const int SettledMethods = 4;

    /// <summary>How long the JIT's count must stay unchanged after a round before the next.</summary>
    internal static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(50);

    private enum Kind
    {
        Json,
        Binary,
        Grpc,
    }

    /// <summary>How many methods the JIT has compiled so far (a test substitutes its own count).</summary>
    internal Func<long> CompiledMethods { get; init; } = () => System.Runtime.JitInfo.GetCompiledMethodCount();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var muted = new List<ModelVersion>();
        var sent = 0;
        try
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }

            await models.InitialLoad.WaitAsync(stoppingToken).ConfigureAwait(false);
            await controlPlane.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            if (endpoints.Http is not { } http || endpoints.HttpPort is not int httpPort)
            {
                return; // not on Kestrel (an in-memory test server): no socket to warm up through
            }

            var targets = Targets();
            if (targets.Count == 0)
            {
                return;
            }

            foreach (var target in targets)
            {
                target.Version.MuteForWarmup();
                muted.Add(target.Version);
            }

            var grpc = endpoints.Grpc is { } g && endpoints.GrpcPort is int grpcPort ? BaseAddress(g, grpcPort) : null;
            sent = await RunAsync(targets, BaseAddress(http, httpPort), grpc, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The warm-up is an optimisation: whatever breaks it, the server serves (and readiness says
            // what else is wrong, a model that failed to load among it).
            Log.Stopped(logger, ex.Message);
        }
        finally
        {
            foreach (var version in muted)
            {
                version.UnmuteAfterWarmup();
            }

            warmup.Finish(sent);
        }
    }

    private List<(ModelVersion Version, WarmupRequests Requests)> Targets()
    {
        var targets = new List<(ModelVersion, WarmupRequests)>();
        foreach (var entry in models.Models)
        {
            foreach (var slot in entry.Versions)
            {
                // With a queue delay or a latency target a lone request waits for a batch: those
                // versions warm up at load on the session alone, as ModelVersionLoader does.
                if (slot is { State: ModelState.Ready, Loaded: { WarmsUpThroughPipeline: true } version }
                    && WarmupRequests.For(version) is { } requests)
                {
                    targets.Add((version, requests));
                }
            }
        }

        return targets;
    }

    private async Task<int> RunAsync(List<(ModelVersion Version, WarmupRequests Requests)> targets, Uri rest, Uri? grpc, CancellationToken cancellationToken)
    {
        var budget = TimeSpan.FromSeconds(options.WarmupSeconds);
        var started = jitClock.GetTimestamp();
        var compiledAtStart = CompiledMethods();
        using var http = new HttpClient(Handler(), disposeHandler: true) { BaseAddress = rest };
        using var channel = grpc is null ? null : GrpcChannel.ForAddress(grpc, new GrpcChannelOptions { HttpHandler = Handler(), MaxReceiveMessageSize = options.GrpcMaxMessageBytes });
        var client = channel is null ? null : new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var stopped = new HashSet<(ModelVersion, Kind)>();
        var kinds = client is null ? new[] { Kind.Json, Kind.Binary } : [Kind.Json, Kind.Binary, Kind.Grpc];
        var sent = 0;
        var rounds = 0;
        var settled = false;
        while (!settled && jitClock.GetElapsedTime(started) < budget)
        {
            var before = CompiledMethods();
            foreach (var (version, requests) in targets)
            {
                foreach (var kind in kinds)
                {
                    for (var i = 0; i < RoundRequests && !stopped.Contains((version, kind)) && jitClock.GetElapsedTime(started) < budget; i++)
                    {
                        var failure = await SendAsync(http, client, requests, kind, cancellationToken).ConfigureAwait(false);
                        if (failure is not null)
                        {
                            stopped.Add((version, kind));
                            Log.KindStopped(logger, requests.Model, requests.Version, kind.ToString(), failure);
                        }
                        else
                        {
                            sent++;
                        }
                    }
                }
            }

            rounds++;
            var left = budget - jitClock.GetElapsedTime(started);
            if (left <= TimeSpan.Zero || stopped.Count == targets.Count * kinds.Length)
            {
                break;
            }

            var quiet = await JitSettle.WaitAsync(CompiledMethods, jitClock, Quiet, left, cancellationToken).ConfigureAwait(false);
            settled = quiet && CompiledMethods() - before < SettledMethods;
        }

        Log.WarmedUp(logger, sent, targets.Count, rounds, CompiledMethods() - compiledAtStart, (long)jitClock.GetElapsedTime(started).TotalMilliseconds, settled ? "the JIT settled" : "stopped at server.warmup_seconds");
        return sent;
    }

    // Null when answered; otherwise what went wrong.
    private static async Task<string?> SendAsync(HttpClient http, GRPCInferenceService.GRPCInferenceServiceClient? grpc, WarmupRequests requests, Kind kind, CancellationToken cancellationToken)
    {
        if (kind == Kind.Grpc)
        {
            try
            {
                await grpc!.ModelInferAsync(requests.Grpc, cancellationToken: cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (RpcException ex)
            {
                return $"gRPC {ex.StatusCode}: {ex.Status.Detail}";
            }
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, requests.Path);
        var content = new ByteArrayContent(kind == Kind.Json ? requests.Json : requests.Binary);
        content.Headers.ContentType = new MediaTypeHeaderValue(kind == Kind.Json ? "application/json" : "application/octet-stream");
        if (kind == Kind.Binary)
        {
            content.Headers.Add(InferenceEndpoint.HeaderLengthHeader, requests.BinaryHeaderLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        message.Content = content;
        using var response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK ? null : $"HTTP {(int)response.StatusCode}";
    }

    private SocketsHttpHandler Handler()
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false };
        if (endpoints.Certificate is { } mine)
        {
            // Its own certificate, whatever name it carries: the server is talking to itself over loopback.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _)
                => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(mine.RawData);
        }

        return handler;
    }

    private Uri BaseAddress(ListenOptions listen, int port)
    {
        var address = (listen.EndPoint as IPEndPoint)?.Address;
        address = address is null || address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : address;
        return new Uri($"{(endpoints.Certificate is null ? "http" : "https")}://{new IPEndPoint(address, port)}");
    }
}
