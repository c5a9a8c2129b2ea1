using Usher.Streaming.Telemetry;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// Turns one message into its answer or its dead letter: malformed messages and requests that are
/// wrong (invalid, unknown endpoint) fail at once; other failures are retried with backoff until the
/// message has had <see cref="StreamSpec.MaxAttempts"/> attempts, deliveries included.
/// </summary>
internal sealed class MessageScorer(StreamSpec spec, IStreamScorer scorer, StreamMetrics metrics, TimeProvider time)
{
    private readonly IReadOnlyList<string>? _keyPath = spec.RoutingKeyPath;

    public KeyValuePair<string, object?>[] Labels { get; set; } = [];

    /// <summary>The answer or the failure; null when stopped before it was known (the message stays unacknowledged).</summary>
    public async Task<StreamAnswer?> ScoreAsync(StreamMessage message, CancellationToken cancellationToken)
    {
        if (message.Request is not { } request)
        {
            return Fail(message, spec.Model, "malformed", "the message carries no request (a Redis entry needs the field 'request')", message.Deliveries);
        }

        if (message.Deliveries > spec.MaxAttempts)
        {
            // Delivered more often than allowed: the consumers that took it may have crashed on it.
            return Fail(message, spec.Model, "attempts_exhausted", $"delivered {message.Deliveries} times, more than max_attempts ({spec.MaxAttempts})", message.Deliveries);
        }

        var scan = RequestScan.Read(request.Span, _keyPath);
        var endpoint = scan.ModelName ?? spec.Model;
        if (scan.Malformed is { } malformed)
        {
            return Fail(message, endpoint, "malformed", malformed, message.Deliveries);
        }

        var attempts = message.Deliveries - 1;
        var backoff = spec.RetryBackoff;
        while (true)
        {
            attempts++;
            StreamScore score;
            try
            {
                score = await scorer.ScoreAsync(endpoint, request, scan.RoutingKey, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            if (score.Error is not { } error)
            {
                return new StreamAnswer { SourceId = message.Id, Endpoint = endpoint, ModelVersion = score.Version, Response = score.Response, Attempts = attempts };
            }

            metrics.Failed.Add(1, Labels);
            if (error.Kind == Core.Inference.InferenceErrorKind.Canceled && cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            if (StreamPipeline.PermanentReason(error.Kind) is { } reason)
            {
                return Fail(message, endpoint, reason, error.Message, attempts);
            }

            if (attempts >= spec.MaxAttempts)
            {
                return Fail(message, endpoint, "attempts_exhausted", $"failed {attempts} times, the last: {error.Message}", attempts);
            }

            try
            {
                await Task.Delay(backoff, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            backoff *= 2;
        }
    }

    /// <summary>
    /// The scorer's warm-up, then this stream's own first-call costs in memory: the request scan and
    /// the answers' JSON (<see cref="StreamScorerWarmUp"/>). Nothing is scored, written or counted.
    /// </summary>
    public async ValueTask WarmUpAsync(CancellationToken cancellationToken)
    {
        await scorer.WarmUpAsync(cancellationToken).ConfigureAwait(false);
        StreamScorerWarmUp.Run(spec.Model, _keyPath);
    }

    /// <summary>Opens a micro-batch on the scorer (<see cref="IStreamScorer.OpenBatch"/>): the messages scored until it is disposed may run together.</summary>
    public IDisposable? OpenBatch(CancellationToken cancellationToken) => scorer.OpenBatch(cancellationToken);

    private static StreamAnswer Fail(StreamMessage message, string endpoint, string reason, string error, int attempts)
        => new() { SourceId = message.Id, Endpoint = endpoint, Error = error, Reason = reason, Attempts = attempts, Request = message.Request };
}
