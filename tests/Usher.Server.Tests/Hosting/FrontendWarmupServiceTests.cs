using System.Net;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Usher.Server.Admin;
using Usher.Server.Frontends;
using Usher.Server.Hosting;
using Usher.Server.Protos;
using Usher.Server.Tests.Access;
using Usher.Server.Tests.Metrics;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

/// <summary>
/// The warm-up through the frontends (<see cref="FrontendWarmupService"/>): on Kestrel it sends REST
/// JSON, REST binary and gRPC requests to every ready version before the server reports ready, and
/// none of them is counted. (That none reaches a request log: RequestLoggingServerTests, whose logs
/// must hold exactly the test's requests.)
/// </summary>
[Collection(nameof(MetricsEndpointTests))]
public sealed class FrontendWarmupServiceTests : IDisposable
{
    private readonly TempDirectory _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Warmup_OnKestrel_SendsEveryKindPastTheCallCount_AndMetricsCountOnlyTheClientsRequest()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");

        // A generous budget, so that a loaded machine finishes at least the first round of every kind.
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true, server: s => s.WarmupSeconds = 30);
        var warmup = app.App.Services.GetRequiredService<FrontendWarmup>();
        Assert.True(warmup.IsFinished);

        // One version, three kinds (REST JSON, REST binary, gRPC), at least one full round of each.
        Assert.True(warmup.Requests >= 3 * FrontendWarmupService.RoundRequests, $"the warm-up sent {warmup.Requests} requests");

        await WarmupCounters.AssertNoneCountedAsync(app.Client);
        await WarmupCounters.AssertFirstRequestCountedOnceAsync(app.Client);
    }

    [Fact]
    public async Task Warmup_Off_SendsNothing_AndTheServerIsReady()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true, server: s => s.WarmupSeconds = 0);

        var warmup = app.App.Services.GetRequiredService<FrontendWarmup>();
        Assert.True(warmup.IsFinished);
        Assert.Equal(0, warmup.Requests);
        using var ready = await app.Client.GetAsync("/v2/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Readiness_WhileTheWarmupRuns_IsFalseOverRestAndGrpc_AndNothingLogsAnError()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        var gate = new InferenceGate();
        var logs = new ListLogger();
        await using var app = await UsherApp.StartAsync(
            _repo.Path,
            kestrel: true,
            server: s => s.WarmupSeconds = 60,
            configure: b =>
            {
                b.Services.AddSingleton<IStartupFilter>(gate);
                b.Logging.AddProvider(logs);
            },
            waitForLoad: false);
        var health = new Health.HealthClient(app.Channel);
        var warmup = app.App.Services.GetRequiredService<FrontendWarmup>();
        try
        {
            // The warm-up's first request is held: the server is warming up, and stays so until the gate opens.
            await gate.Held.WaitAsync(TimeSpan.FromSeconds(120));
            using (var ready = await app.Client.GetAsync("/v2/health/ready"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Contains("warming up", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
            Assert.False((await app.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
            Assert.False(warmup.IsFinished);
        }
        finally
        {
            gate.Open();
        }

        await warmup.Finished.WaitAsync(TimeSpan.FromSeconds(120));
        using (var ready = await app.Client.GetAsync("/v2/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.True((await app.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);

        // A starting server is not failing: nothing logged at error level, the health checks' NOT_SERVING answers included.
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}").ToList();
        Assert.True(errors.Count == 0, "logged while starting:\n" + string.Join('\n', errors));
    }

    [Fact]
    public async Task Readiness_UntilTheWarmupFinishes_SaysSo()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        await using var app = await UsherApp.StartAsync(_repo.Path);
        var services = app.App.Services;
        var pending = new FrontendWarmup();

        var why = ServerReadiness.WhyNotReady(app.Models, services.GetRequiredService<IHostApplicationLifetime>(), services.GetRequiredService<ControlPlaneHost>(), pending);
        Assert.Equal("the server is warming up its request path (server.warmup_seconds)", why);

        pending.Finish(5);
        Assert.Null(ServerReadiness.WhyNotReady(app.Models, services.GetRequiredService<IHostApplicationLifetime>(), services.GetRequiredService<ControlPlaneHost>(), pending));
        Assert.Equal(5, pending.Requests);
    }

    [Fact]
    public async Task JitSettle_CountUnchanged_CompletesTrueAfterTheQuietSpell()
    {
        var time = new FakeTimeProvider();
        var reads = 0;
        var settle = JitSettle.WaitAsync(() => { reads++; return 7; }, time, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), CancellationToken.None);
        var advanced = TimeSpan.Zero;
        while (!settle.IsCompleted && advanced < TimeSpan.FromSeconds(10))
        {
            time.Advance(JitSettle.Poll);
            advanced += JitSettle.Poll;
            await Task.Yield();
        }

        Assert.True(await settle);
        Assert.True(reads > 1);
    }

    [Fact]
    public async Task JitSettle_CountAlwaysGrowing_CompletesFalseAtTheLimit()
    {
        var time = new FakeTimeProvider();
        long count = 0;
        var settle = JitSettle.WaitAsync(() => Interlocked.Increment(ref count), time, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), CancellationToken.None);
        var advanced = TimeSpan.Zero;
        while (!settle.IsCompleted && advanced < TimeSpan.FromSeconds(10))
        {
            // Time moves on only once the poll the last step released has read the count (or after a
            // bounded number of yields, when the step released none): on a loaded machine the poll's
            // continuation may run late, and advancing past it would reach the limit in fewer polls.
            var before = Interlocked.Read(ref count);
            time.Advance(JitSettle.Poll);
            advanced += JitSettle.Poll;
            for (var spin = 0; spin < 100_000 && !settle.IsCompleted && Interlocked.Read(ref count) == before; spin++)
            {
                await Task.Yield();
            }
        }

        Assert.False(await settle);
        Assert.True(Interlocked.Read(ref count) > 50 / 10, $"read the count {count} times");
    }

    /// <summary>Holds every inference request (the warm-up's own) until <see cref="Open"/>; probes and scrapes pass.</summary>
    private sealed class InferenceGate : IStartupFilter
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the first inference request is held.</summary>
        public Task Held => _held.Task;

        public void Open() => _open.TrySetResult();

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                // REST: /v2/models/{m}/versions/{v}/infer; gRPC: /inference.GRPCInferenceService/ModelInfer.
                var path = context.Request.Path.Value ?? string.Empty;
                if (path.EndsWith("/infer", StringComparison.Ordinal) || path.EndsWith("/ModelInfer", StringComparison.Ordinal))
                {
                    _held.TrySetResult();
                    await _open.Task.WaitAsync(context.RequestAborted);
                }

                await inner(context);
            });
            next(app);
        };
    }
}
