using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// The one way what the control plane learns from traffic leaves the request path: the router asks
/// the observers what they need (<see cref="Needs"/>), and only then writes a small value to a
/// bounded channel, never waiting (a full channel drops it and counts the drop). One task of its own
/// hands each observation to the observers. Readers that must see every request answered so far
/// (the analysis at a tick, a feedback join) call <see cref="CatchUp"/> first.
/// </summary>
internal sealed class RouteObservations : IAsyncDisposable
{
    /// <summary>Observations the channel holds by default before it drops.</summary>
    public const int DefaultCapacity = 8192;

    /// <summary>
    /// How long the task rests after handing on what it found, before it looks again. A write that
    /// finds the task waiting wakes a thread (a hand-off the request's thread pays for); while the
    /// task rests, writes only queue, so under load the observers take the requests in batches and
    /// the task wakes at most once per pacing interval. A pace, not a decision: readers catch up
    /// (<see cref="CatchUp"/>) rather than wait for it. Only after a hand-over: an idle channel's task
    /// waits on the channel and takes no timer at all.
    /// </summary>
    public static readonly TimeSpan Pacing = TimeSpan.FromMilliseconds(2);

    private readonly Channel<RouteObservation> _channel;
    private readonly Counter<long>? _droppedCounter;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly Task _pump;
    private IRouteObserver? _observer;
    private IRouteObserver? _mirror;
    private long _dropped;
    private long _faulted;

    /// <summary>Creates the channel and starts its task.</summary>
    /// <param name="capacity">Observations held before new ones are dropped.</param>
    /// <param name="metrics">Where drops are counted (<c>usher_observations_dropped</c>); null: only <see cref="Dropped"/>.</param>
    /// <param name="time">
    /// The clock of the task's rest (<see cref="Pacing"/>); null: the system clock. The router leaves it
    /// so even on a test's fake clock: the rest is a pace, not a decision, and a fake clock that never
    /// moves would hold the shadows' copies back.
    /// </param>
    public RouteObservations(int capacity = DefaultCapacity, UsherMetrics? metrics = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _time = time ?? TimeProvider.System;
        _droppedCounter = metrics?.ObservationsDropped;

        // Wait mode with TryWrite only: a full channel refuses the write at once and the writer counts it.
        _channel = Channel.CreateBounded<RouteObservation>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The channel's capacity.</summary>
    public int Capacity { get; }

    /// <summary>The control plane's observer (rollout analysis and experiments); null: none.</summary>
    public IRouteObserver? Observer
    {
        get => Volatile.Read(ref _observer);
        set => Volatile.Write(ref _observer, value);
    }

    /// <summary>The shadow mirror's observer; null: none.</summary>
    public IRouteObserver? Mirror
    {
        get => Volatile.Read(ref _mirror);
        set => Volatile.Write(ref _mirror, value);
    }

    /// <summary>Observations dropped because the channel was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Observations an observer threw on (a bug in the observer; the observation is lost to it).</summary>
    public long Faulted => Interlocked.Read(ref _faulted);

    /// <summary>Observations waiting in the channel.</summary>
    public int Waiting => _channel.Reader.Count;

    /// <summary>What the observers need of a request to <paramref name="endpoint"/>; <see cref="ObservationNeeds.None"/> when nothing watches it.</summary>
    public ObservationNeeds Needs(string endpoint, string? routingKey)
    {
        var needs = ObservationNeeds.None;
        if (Observer is { } observer)
        {
            needs = observer.Needs(endpoint, routingKey);
        }

        if (Mirror is { } mirror)
        {
            needs |= mirror.Needs(endpoint, routingKey);
        }

        return needs;
    }

    /// <summary>Hands one observation to the channel without waiting; a full channel drops it and counts the drop.</summary>
    public void Write(in RouteObservation observation)
    {
        if (!_channel.Writer.TryWrite(observation))
        {
            Interlocked.Increment(ref _dropped);
            _droppedCounter?.Add(1);
        }
    }

    /// <summary>
    /// Hands every observation written before the call to the observers, on the caller's thread if
    /// the channel's task has not yet: afterwards the observers have seen every request answered so far.
    /// </summary>
    public void CatchUp() => Drain();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            while (await _channel.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                Drain();
                // Rests only after a hand-over; with nothing written, WaitToReadAsync waits without a timer.
                await Task.Delay(Pacing, _time, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    // Under the gate, so that whoever returns from a drain knows every observation read before it
    // was also handed on. Bounded by what was waiting at the start, so a reader catching up is not
    // held while new requests keep arriving.
    private void Drain()
    {
        lock (_gate)
        {
            for (var n = _channel.Reader.Count; n > 0 && _channel.Reader.TryRead(out var observation); n--)
            {
                Dispatch(Observer, in observation);
                Dispatch(Mirror, in observation);
            }
        }
    }

    private void Dispatch(IRouteObserver? observer, in RouteObservation observation)
    {
        if (observer is null)
        {
            return;
        }

        try
        {
            observer.Observe(in observation);
        }
#pragma warning disable CA1031 // an observer's bug must not stop the channel that every other observer relies on
        catch (Exception)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _faulted);
        }
    }
}
