using System.Collections.Concurrent;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Transports;

namespace Usher.Streaming.Tests.Pipeline;

internal sealed class ListSource(IReadOnlyList<StreamMessage> messages, bool endWhenRead = true) : IStreamSource
{
    public ConcurrentQueue<string> Acknowledged { get; } = new();

    public int Added;

    public long? Lag => messages.Count - Added;

    public async Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
    {
        foreach (var message in messages)
        {
            await inbox.ReserveAsync(1, stopReading);

            // A semaphore may grant room that was released as the stop came: a source checks after waiting.
            if (stopReading.IsCancellationRequested)
            {
                inbox.Unreserve(1);
                break;
            }

            inbox.Add(message);
            Interlocked.Increment(ref Added);
        }

        if (!endWhenRead)
        {
            await Task.Delay(Timeout.Infinite, stopReading);
        }
    }

    public ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> done, CancellationToken cancellationToken)
    {
        foreach (var message in done)
        {
            Acknowledged.Enqueue(message.Id);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public static StreamMessage Message(string id, string request, int deliveries = 1)
        => new() { Id = id, Request = System.Text.Encoding.UTF8.GetBytes(request), Timestamp = DateTimeOffset.UnixEpoch, Deliveries = deliveries };
}

/// <summary>A source that adds its messages as the test releases them.</summary>
internal sealed class GatedSource(IReadOnlyList<StreamMessage> messages) : IStreamSource
{
    private readonly SemaphoreSlim _released = new(0);
    private readonly TaskCompletionSource _allAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<string> Acknowledged { get; } = new();

    public ConcurrentQueue<int> AcknowledgedBatches { get; } = new();

    public Task AllAdded => _allAdded.Task;

    public long? Lag => null;

    public void Release(int count) => _released.Release(count);

    public async Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
    {
        foreach (var message in messages)
        {
            await _released.WaitAsync(stopReading);
            await inbox.ReserveAsync(1, stopReading);
            inbox.Add(message);
        }

        _allAdded.TrySetResult();
        await Task.Delay(Timeout.Infinite, stopReading);
    }

    public ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> done, CancellationToken cancellationToken)
    {
        AcknowledgedBatches.Enqueue(done.Count);
        foreach (var message in done)
        {
            Acknowledged.Enqueue(message.Id);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _released.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed class ListSink : IStreamSink
{
    public ConcurrentQueue<StreamAnswer> Answers { get; } = new();

    public ValueTask WriteAsync(IReadOnlyList<StreamAnswer> answers, CancellationToken cancellationToken)
    {
        foreach (var answer in answers)
        {
            Answers.Enqueue(answer);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class FuncScorer(Func<string, int, ValueTask<StreamScore>> score) : IStreamScorer
{
    private readonly ConcurrentDictionary<string, int> _calls = new();

    public int Calls(string requestId) => _calls.GetValueOrDefault(requestId);

    /// <summary>Whether the warm-up had run when the first message was scored (null: none was).</summary>
    public bool? WarmedBeforeFirstScore { get; private set; }

    public async ValueTask<StreamScore> ScoreAsync(string endpoint, ReadOnlyMemory<byte> request, string? routingKey, CancellationToken cancellationToken)
    {
        WarmedBeforeFirstScore ??= WarmUps > 0;
        var id = RequestScan.Read(request.Span, null).Id ?? "?";
        var attempt = _calls.AddOrUpdate(id, 1, (_, n) => n + 1);
        return await score(id, attempt);
    }

    public int WarmUps { get; private set; }

    public ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        WarmUps++;
        return ValueTask.CompletedTask;
    }

    public IDisposable? OpenBatch(CancellationToken cancellationToken) => null;
}
