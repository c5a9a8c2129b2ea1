using System.Globalization;

namespace Usher.Streaming.Pipeline;

/// <summary>
/// One stream consumer, as <c>usher stream</c>'s flags or an item of <c>streams:</c> in usher.yaml
/// give it (docs/streaming.md). Immutable; <see cref="Validate"/> lists every problem.
/// </summary>
internal sealed record StreamSpec
{
    /// <summary>The endpoint (model) the messages go to, unless a request names another in <c>model_name</c>.</summary>
    public required string Model { get; init; }

    /// <summary>Where messages come from: <c>redis://HOST:PORT/STREAM</c>, <c>mqtt://HOST:PORT/TOPIC</c>, <c>kafka://HOST:PORT/TOPIC</c> or <c>-</c> (stdin).</summary>
    public required string Source { get; init; }

    /// <summary>Where answers go, in the same forms (<c>-</c>: stdout).</summary>
    public required string Sink { get; init; }

    /// <summary>Where failed messages go with their reason. Default: the sink, as answers with <c>error</c>.</summary>
    public string? DeadLetter { get; init; }

    /// <summary>The consumer group (Redis group, MQTT shared-subscription group, Kafka group id). Default <c>usher</c>.</summary>
    public string Group { get; init; } = "usher";

    /// <summary>
    /// This consumer's name in the group; keep it stable across restarts so a restarted consumer
    /// takes back its own pending messages. Default: the host name.
    /// </summary>
    public string Consumer { get; init; } = Environment.MachineName;

    /// <summary>Messages taken together from the source, scored together and acknowledged together. Default 64.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>How long a micro-batch waits to fill once its first message came. Default 5 ms.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Messages read and not yet acknowledged, at most; the source stops reading at the bound. Default 1024.</summary>
    public int MaxInFlight { get; init; } = 1024;

    /// <summary>Attempts (deliveries included) before a message that keeps failing is dead-lettered. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The request field whose value is the routing key (dotted, such as <c>parameters.user_id</c>). Default none.</summary>
    public string? RoutingKey { get; init; }

    /// <summary>Redis: entries pending on another consumer for this long are claimed (XAUTOCLAIM). Default 30 s.</summary>
    public TimeSpan ClaimIdle { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stop waits for in-flight messages before it gives up on them (they are redelivered). Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first retry's wait after a failed attempt; each further retry waits twice as long. Default 20 ms.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The routing key's path, split at dots; null when there is none.</summary>
    public IReadOnlyList<string>? RoutingKeyPath => string.IsNullOrEmpty(RoutingKey) ? null : RoutingKey.Split('.');

    /// <summary>Every problem with the spec, each naming the setting (<paramref name="prefix"/> is prepended).</summary>
    public IReadOnlyList<string> Validate(string prefix = "")
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Model))
        {
            problems.Add($"{prefix}model: required (the endpoint to score with)");
        }

        Check(problems, prefix + "source", Source);
        Check(problems, prefix + "sink", Sink);
        if (DeadLetter is not null)
        {
            Check(problems, prefix + "dead_letter", DeadLetter);
        }

        if (string.IsNullOrWhiteSpace(Group))
        {
            problems.Add($"{prefix}group: must not be empty");
        }

        if (string.IsNullOrWhiteSpace(Consumer))
        {
            problems.Add($"{prefix}consumer: must not be empty");
        }

        Range(problems, prefix + "max_batch", MaxBatch, 1, 4096);
        Range(problems, prefix + "max_in_flight", MaxInFlight, 1, 1_000_000);
        Range(problems, prefix + "max_attempts", MaxAttempts, 1, 1000);
        if (MaxInFlight < MaxBatch)
        {
            problems.Add($"{prefix}max_in_flight: must be at least max_batch ({MaxBatch.ToString(CultureInfo.InvariantCulture)}), got {MaxInFlight.ToString(CultureInfo.InvariantCulture)}");
        }

        if (MaxDelay < TimeSpan.Zero || MaxDelay > TimeSpan.FromSeconds(10))
        {
            problems.Add($"{prefix}max_delay: expected 0 to 10s, got {MaxDelay}");
        }

        if (ClaimIdle <= TimeSpan.Zero)
        {
            problems.Add($"{prefix}claim_idle: must be positive");
        }

        if (RoutingKeyPath?.Any(string.IsNullOrEmpty) == true)
        {
            problems.Add($"{prefix}routing_key: expected a dotted field path such as parameters.user_id, got '{RoutingKey}'");
        }

        return problems;
    }

    private static void Check(List<string> problems, string name, string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri))
        {
            problems.Add($"{name}: required (redis://HOST:PORT/STREAM, mqtt://HOST:PORT/TOPIC, kafka://HOST:PORT/TOPIC or -)");
        }
        else if (Transports.StreamAddress.Parse(uri, out var problem) is null)
        {
            problems.Add($"{name}: {problem}");
        }
    }

    private static void Range(List<string> problems, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{name}: expected {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}
