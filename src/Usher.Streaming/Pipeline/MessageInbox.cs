using System.Threading.Channels;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// Where a source puts what it reads, bounded by the stream's in-flight limit: a source reserves
/// room before it reads (so it stops reading when the pipeline is full, the backpressure), and the
/// room comes back only once a message is acknowledged.
/// </summary>
internal sealed class MessageInbox
{
    private readonly SemaphoreSlim _room;
    private int _inFlight;
    private readonly Channel<StreamMessage> _messages = Channel.CreateUnbounded<StreamMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    public MessageInbox(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _room = new SemaphoreSlim(capacity, capacity);
    }

    /// <summary>The most messages read and not yet acknowledged.</summary>
    public int Capacity { get; }

    /// <summary>Messages read and not yet acknowledged.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    internal ChannelReader<StreamMessage> Reader => _messages.Reader;

    /// <summary>Waits for room for at least one message and reserves up to <paramref name="max"/>.</summary>
    public async ValueTask<int> ReserveAsync(int max, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        var reserved = 1;
        while (reserved < max && _room.Wait(0))
        {
            reserved++;
        }

        return reserved;
    }

    /// <summary>Reserves room for one message if there is some now, without waiting.</summary>
    public bool TryReserve() => _room.Wait(0);

    /// <summary>Gives back room reserved and not used.</summary>
    public void Unreserve(int count)
    {
        if (count > 0)
        {
            _room.Release(count);
        }
    }

    /// <summary>Adds a message read into reserved room.</summary>
    public void Add(StreamMessage message)
    {
        Interlocked.Increment(ref _inFlight);
        _messages.Writer.TryWrite(message);
    }

    /// <summary>Called by <see cref="ReportReading"/>: the pipeline's hook for a source that reads again after it lost its broker.</summary>
    public Action? Reading { get; set; }

    /// <summary>A source reports that it reads (connected, its group in place), after a start or a reconnection.</summary>
    public void ReportReading() => Reading?.Invoke();

    /// <summary>No more messages will come (the source stopped reading).</summary>
    public void Complete() => _messages.Writer.TryComplete();

    /// <summary>Messages acknowledged (or given up for redelivery): their room comes back.</summary>
    public void Done(int count)
    {
        Interlocked.Add(ref _inFlight, -count);
        Unreserve(count);
    }
}
