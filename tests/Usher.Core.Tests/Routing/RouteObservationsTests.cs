using Microsoft.Extensions.Time.Testing;
using Usher.Core.Routing;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// The observation channel's task rests <see cref="RouteObservations.Pacing"/> after each hand-over
/// and otherwise waits on the channel: a server whose rollout sees no traffic does not wake 500
/// times a second. Fake time, with every timer the task takes counted.
/// </summary>
public sealed class RouteObservationsTests
{
    private static readonly RouteVariant Canary = new("fraud", 2, 10);

    [Fact]
    public async Task AnIdleChannel_TakesNoTimer_AndRestsOncePerHandOver()
    {
        var clock = new CountingClock();
        var observer = new CountingObserver();
        await using var observations = new RouteObservations(capacity: 16, time: clock) { Observer = observer };

        observations.Write(Observation());
        Assert.True(await observer.Seen.WaitAsync(TimeSpan.FromSeconds(30)), "the first observation was never handed over");
        Assert.True(await clock.Created.WaitAsync(TimeSpan.FromSeconds(30)), "the task never rested after the hand-over");
        clock.Advance(RouteObservations.Pacing);
        Assert.Equal(1, clock.Fired);

        // A second with nothing written, in steps of the pace: a task that looked again on its own
        // would take a timer and have it fire.
        for (var step = 0; step < 500; step++)
        {
            clock.Advance(RouteObservations.Pacing);
        }

        Assert.Equal(1, clock.Fired);

        // Still waiting on the channel: the next write is handed over, and the task rests once more.
        observations.Write(Observation());
        Assert.True(await observer.Seen.WaitAsync(TimeSpan.FromSeconds(30)), "the second observation was never handed over");
        Assert.True(await clock.Created.WaitAsync(TimeSpan.FromSeconds(30)), "the task never rested after the second hand-over");
        Assert.Equal(2, observer.Count);
        Assert.Equal(2, clock.CreatedCount);
        Assert.Equal(1, clock.Fired);
    }

    private static RouteObservation Observation()
        => new("fraud", Canary, DateTimeOffset.UnixEpoch, null, 1.5, null, null, null, null, ObservationNeeds.Outcome);

    private sealed class CountingObserver : IRouteObserver
    {
        private int _count;

        public SemaphoreSlim Seen { get; } = new(0);

        public int Count => Volatile.Read(ref _count);

        public ObservationNeeds Needs(string endpoint, string? routingKey) => ObservationNeeds.Outcome;

        public void Observe(in RouteObservation observation)
        {
            Interlocked.Increment(ref _count);
            Seen.Release();
        }
    }

    // A fake clock that counts the timers taken on it and the times they fired.
    private sealed class CountingClock : TimeProvider
    {
        private readonly FakeTimeProvider _inner = new(DateTimeOffset.UnixEpoch);
        private int _created;
        private int _fired;

        public SemaphoreSlim Created { get; } = new(0);

        public int CreatedCount => Volatile.Read(ref _created);

        public int Fired => Volatile.Read(ref _fired);

        public override long TimestampFrequency => _inner.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

        public override long GetTimestamp() => _inner.GetTimestamp();

        public void Advance(TimeSpan by) => _inner.Advance(by);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = _inner.CreateTimer(
                s =>
                {
                    Interlocked.Increment(ref _fired);
                    callback(s);
                },
                state,
                dueTime,
                period);
            Interlocked.Increment(ref _created);
            Created.Release();
            return timer;
        }
    }
}
