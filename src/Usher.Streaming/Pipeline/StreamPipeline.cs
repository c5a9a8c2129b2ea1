using Microsoft.Extensions.Logging;
using Usher.Core.Inference;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Transports;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// One stream consumer: the source reads into a bounded inbox; micro-batches of up to
/// <see cref="StreamSpec.MaxBatch"/> messages (waiting at most <see cref="StreamSpec.MaxDelay"/> to fill)
/// are scored together, their answers written to the sink and their failures to the dead-letter
/// destination, and only then acknowledged: at least once. Stopping stops reading, finishes and
/// acknowledges what is in flight, and returns.
/// </summary>
internal sealed class StreamPipeline
{
    private readonly StreamSpec _spec;
    private readonly IStreamSource _source;
    private readonly IStreamSink _sink;
    private readonly IStreamSink _deadLetter;
    private readonly MessageScorer _scorer;
    private readonly StreamMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MessageInbox _inbox;
    private readonly string _sinkName;
    private readonly int _batchSize;

    // Batches being scored, written and acknowledged; the collector sends a partial batch at once
    // when none is, and otherwise when one finishes (completing this) or the delay passes.
    private int _processing;
    private int _readFailures;

    private static readonly TimeSpan MinReconnectDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);
    private TaskCompletionSource _batchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StreamPipeline(StreamSpec spec, IStreamSource source, IStreamSink sink, IStreamSink? deadLetter, IStreamScorer scorer, StreamMetrics metrics, TimeProvider time, ILogger logger)
    {
        _spec = spec;
        _source = source;
        _sink = sink;
        _deadLetter = deadLetter ?? sink;
        _scorer = new MessageScorer(spec, scorer, metrics, time);
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _inbox = new MessageInbox(spec.MaxInFlight);
        _batchSize = BatchSize(spec);
        _sinkName = StreamAddress.Parse(spec.Sink, out _)?.ToString() ?? spec.Sink;
        var sourceName = StreamAddress.Parse(spec.Source, out _)?.ToString() ?? spec.Source;
        Labels = [new("stream", spec.Model), new("source", sourceName)];
        _scorer.Labels = Labels;
    }

    /// <summary>
    /// The micro-batch size: <see cref="StreamSpec.MaxBatch"/>, but at most half the in-flight bound, so
    /// that two batches are always in flight. With one batch as big as the bound (64 and 64), reading,
    /// scoring, writing and acknowledging ran strictly one after another, the model idle during every
    /// round trip to the broker; with two, one batch is scored while the other's answers are written
    /// and acknowledged and the source reads into the room that frees. Four (quarters) were tried: a
    /// warm consumer spent ~100 µs per answer against ~55 µs with halves (benchmarks/compare/streaming.md).
    /// </summary>
    internal static int BatchSize(StreamSpec spec) => Math.Max(1, Math.Min(spec.MaxBatch, spec.MaxInFlight / BatchesInFlight));

    /// <summary>How many micro-batches the in-flight bound holds at least (<see cref="BatchSize"/>).</summary>
    internal const int BatchesInFlight = 2;

    /// <summary>The metric labels of this stream.</summary>
    public KeyValuePair<string, object?>[] Labels { get; }

    /// <summary>The source's lag, when known.</summary>
    public long? Lag => _source.Lag;

    /// <summary>Messages read and not yet acknowledged.</summary>
    public int InFlight => _inbox.InFlight;

    /// <summary>
    /// Runs until <paramref name="stop"/> (then drains) or until the source ends (stdin at EOF).
    /// Throws when the source fails for good, after draining what was read.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _metrics.Track(this);
        StreamLog.Started(_logger, _spec.Model, Labels[1].Value as string ?? _spec.Source, _spec.Consumer, _spec.Group, _sinkName);
        using var hard = new CancellationTokenSource();
        using var onStop = stop.Register(() => hard.CancelAfter(_spec.DrainTimeout));

        // Before the first read: a consumer that starts mid-flow would otherwise pay the first calls'
        // costs on its first messages, hundreds of milliseconds for every message behind them.
        await _scorer.WarmUpAsync(stop).ConfigureAwait(false);
        var reading = ReadAsync(stop);
        var batches = new List<Task>();
        try
        {
            while (await CollectAsync(hard.Token).ConfigureAwait(false) is { } batch)
            {
                batches.RemoveAll(t => t.IsCompleted);
                Interlocked.Increment(ref _processing);
                batches.Add(ProcessAsync(batch, hard.Token));
            }

            await Task.WhenAll(batches).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (hard.IsCancellationRequested)
        {
            // The drain timed out: what is still in flight stays unacknowledged and is redelivered.
        }
        finally
        {
            _metrics.Untrack(this);
        }

        await reading.ConfigureAwait(false);
        StreamLog.Drained(_logger, _spec.Model, Labels[1].Value as string ?? _spec.Source);
    }

    /// <summary>
    /// Runs the source until it ends or is stopped. A source that lost its broker
    /// (<see cref="StreamInterruptedException"/>) is run again after a backoff (100 ms, doubling to 5 s),
    /// logged and counted; it reconnects and takes back what it had read and not acknowledged.
    /// </summary>
    private async Task ReadAsync(CancellationToken stop)
    {
        var sourceName = Labels[1].Value as string ?? _spec.Source;
        _inbox.Reading = () =>
        {
            if (Interlocked.Exchange(ref _readFailures, 0) is var failures and > 0)
            {
                StreamLog.SourceRecovered(_logger, _spec.Model, sourceName, failures);
            }
        };
        try
        {
            await Task.Yield();
            var backoff = MinReconnectDelay;
            while (true)
            {
                try
                {
                    await _source.RunAsync(_inbox, stop).ConfigureAwait(false);
                    return;
                }
                catch (StreamInterruptedException exception) when (!stop.IsCancellationRequested)
                {
                    // Reset by a source that read again meanwhile (ReportReading).
                    if (Interlocked.Increment(ref _readFailures) == 1)
                    {
                        backoff = MinReconnectDelay;
                    }

                    _metrics.BrokerErrors.Add(1, [Labels[0], Labels[1], new("operation", "read")]);
                    StreamLog.SourceFailed(_logger, _spec.Model, sourceName, exception.Message, (long)backoff.TotalMilliseconds);
                    await Task.Delay(backoff, _time, stop).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxReconnectDelay.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (StreamInterruptedException) when (stop.IsCancellationRequested)
        {
            // Stopped while the broker was away: nothing more to read; what was read drains.
        }
        finally
        {
            _inbox.Complete();
        }
    }

    /// <summary>
    /// The next micro-batch: waits for one message, then for more only while an earlier batch is still
    /// in flight (its round trips are what a fuller batch saves), at most the delay; null when the
    /// source ended. At low rates a message goes at once, at high rates batches fill, like the
    /// model's adaptive batcher.
    /// </summary>
    private async ValueTask<List<StreamMessage>?> CollectAsync(CancellationToken cancellationToken)
    {
        var reader = _inbox.Reader;
        if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var batch = new List<StreamMessage>(_batchSize);
        var deadline = _time.GetTimestamp();
        while (batch.Count < _batchSize)
        {
            if (reader.TryRead(out var message))
            {
                batch.Add(message);
                continue;
            }

            var left = _spec.MaxDelay - _time.GetElapsedTime(deadline);
            var done = Volatile.Read(ref _batchDone).Task;
            if (left <= TimeSpan.Zero || batch.Count == 0 && reader.Completion.IsCompleted || batch.Count > 0 && Volatile.Read(ref _processing) == 0)
            {
                break;
            }

            using var wait = new CancellationTokenSource(left, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(wait.Token, cancellationToken);
            var readable = reader.WaitToReadAsync(linked.Token).AsTask();
            if (await Task.WhenAny(readable, done).ConfigureAwait(false) != readable)
            {
                // The batch in flight finished: send what has come meanwhile.
                await linked.CancelAsync().ConfigureAwait(false);
                break;
            }

            try
            {
                if (!await readable.ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        if (batch.Count == 0)
        {
            return reader.Completion.IsCompleted ? null : batch;
        }

        _metrics.In.Add(batch.Count, Labels);
        return batch;
    }

    private async Task ProcessAsync(List<StreamMessage> batch, CancellationToken cancellationToken)
    {
        try
        {
            // Off the collecting loop at once: the scan, decoding and validation of this batch's
            // messages ran on the loop's thread before it could collect the next batch, so decoding was
            // one thread's work however many batches were in flight. Now the next batch is collected
            // (and decoded, on another thread) while this one is.
            await Task.Yield();
            var scoring = new Task<StreamAnswer?>[batch.Count];
            using (_scorer.OpenBatch(cancellationToken))
            {
                // Each message is scanned, decoded, routed and validated on its own; those that reach
                // the same version run as one request when the stack closes (a retry runs alone).
                for (var i = 0; i < batch.Count; i++)
                {
                    scoring[i] = _scorer.ScoreAsync(batch[i], cancellationToken);
                }
            }

            var answers = await Task.WhenAll(scoring).ConfigureAwait(false);
            var good = new List<StreamAnswer>(batch.Count);
            var bad = new List<StreamAnswer>();
            var done = new List<StreamMessage>(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (answers[i] is not { } answer)
                {
                    continue;
                }

                (answer.IsFailure ? bad : good).Add(answer);
                done.Add(batch[i]);
            }

            await WriteAsync(_sink, good, cancellationToken).ConfigureAwait(false);
            await WriteAsync(_deadLetter, bad, cancellationToken).ConfigureAwait(false);
            await AcknowledgeAsync(done, cancellationToken).ConfigureAwait(false);
            Record(batch, answers, good.Count);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped past the drain timeout: left unacknowledged, redelivered later.
        }
        finally
        {
            _inbox.Done(batch.Count);
            if (Interlocked.Decrement(ref _processing) == 0)
            {
                Interlocked.Exchange(ref _batchDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
    }

    private void Record(List<StreamMessage> batch, StreamAnswer?[] answers, int good)
    {
        _metrics.Out.Add(good, Labels);
        var now = _time.GetUtcNow();
        for (var i = 0; i < batch.Count; i++)
        {
            if (answers[i] is not { } answer)
            {
                continue;
            }

            if (answer.IsFailure)
            {
                _metrics.DeadLettered.Add(1, [Labels[0], Labels[1], new("reason", answer.Reason)]);
                StreamLog.DeadLettered(_logger, answer.Endpoint, answer.SourceId, answer.Reason ?? "error", answer.Error ?? string.Empty);
            }
            else
            {
                _metrics.Latency.Record(Math.Max(0, (now - batch[i].Timestamp).TotalSeconds), Labels);
            }
        }
    }

    /// <summary>Writes until the sink takes the answers; a failed write is retried with backoff (the messages stay unacknowledged meanwhile).</summary>
    private async Task WriteAsync(IStreamSink sink, List<StreamAnswer> answers, CancellationToken cancellationToken)
    {
        if (answers.Count == 0)
        {
            return;
        }

        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await sink.WriteAsync(answers, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                _metrics.BrokerErrors.Add(1, [Labels[0], Labels[1], new("operation", "write")]);
                StreamLog.SinkFailed(_logger, exception, _spec.Model, answers.Count, _sinkName);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>Acknowledges until the source takes it; a failure (the broker away) is retried with backoff, the messages staying in flight.</summary>
    private async Task AcknowledgeAsync(List<StreamMessage> messages, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await _source.AcknowledgeAsync(messages, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                _metrics.BrokerErrors.Add(1, [Labels[0], Labels[1], new("operation", "acknowledge")]);
                StreamLog.AcknowledgeFailed(_logger, exception, _spec.Model, messages.Count, Labels[1].Value as string ?? _spec.Source);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxReconnectDelay.Ticks));
            }
        }
    }

    /// <summary>The error kinds that say the request itself is wrong: retrying cannot help.</summary>
    internal static string? PermanentReason(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => "invalid",
        InferenceErrorKind.NotFound => "not_found",
        InferenceErrorKind.Unsupported => "unsupported",
        _ => null,
    };
}
