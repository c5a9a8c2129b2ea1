using Microsoft.Extensions.Time.Testing;
using Usher.Core.Inference;
using Usher.Core.Routing;

namespace Usher.Core.Tests.Routing;

public sealed class FaultInjectorTests
{
    [Fact]
    public async Task Apply_WithoutAFault_LetsTheRequestRun()
    {
        var injector = new FaultInjector(new FakeTimeProvider());

        Assert.Null(await injector.ApplyAsync("fraud", "fraud:2", CancellationToken.None));
    }

    [Fact]
    public async Task Apply_AbortsTheConfiguredFraction_WithTheConfiguredStatus()
    {
        var injector = new FaultInjector(new FakeTimeProvider(), random: new Random(42));
        injector.Set("fraud:2", new FaultSpec(AbortFraction: 0.1, AbortStatus: 500));

        var errors = new List<InferenceError>();
        for (var i = 0; i < 10_000; i++)
        {
            if (await injector.ApplyAsync("fraud", "fraud:2", CancellationToken.None) is { } error)
            {
                errors.Add(error);
            }
        }

        // Replaying the same seed gives the expected count independently of the injector.
        var replay = new Random(42);
        var expected = Enumerable.Range(0, 10_000).Count(_ => replay.NextDouble() < 0.1);
        Assert.Equal(expected, errors.Count);
        Assert.All(errors, e => Assert.Equal((InferenceErrorKind.InjectedFault, 500), (e.Kind, e.Status)));
        Assert.Null(await injector.ApplyAsync("fraud", "fraud:1", CancellationToken.None));
    }

    [Fact]
    public async Task Apply_WithADelay_WaitsOnTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        var injector = new FaultInjector(time, random: new Random(1));
        injector.Set("fraud:2", new FaultSpec(DelayMs: 250, DelayFraction: 1));

        var pending = injector.ApplyAsync("fraud", "fraud:2", CancellationToken.None).AsTask();
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await pending.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Clear_RemovesTheFault()
    {
        var injector = new FaultInjector(new FakeTimeProvider());
        injector.Set("fraud:2", new FaultSpec(AbortFraction: 1));

        Assert.True(injector.Clear("fraud:2"));
        Assert.False(injector.Clear("fraud:2"));
        Assert.Null(await injector.ApplyAsync("fraud", "fraud:2", CancellationToken.None));
    }

    [Fact]
    public void Problems_NameEveryBadField()
    {
        var problems = new FaultSpec(AbortFraction: 1.5, AbortStatus: 200, DelayMs: -1, DelayFraction: 2).Problems();

        Assert.Contains(problems, p => p.Contains("abort fraction 1.5", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("abort status 200", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("delay -1 ms", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("delay fraction 2", StringComparison.Ordinal));
        Assert.Contains("does nothing", new FaultSpec().Problems().Single(), StringComparison.Ordinal);
    }
}
