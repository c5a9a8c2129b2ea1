using Usher.Core.Models;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// The settings of a replica's membership in a cluster that shares one PostgreSQL database (section
/// <c>cluster</c> of <c>usher.yaml</c>; <c>--region</c>, <c>--label</c>, <c>--advertise</c>): what the
/// replica says of itself in the registry, the registry's heartbeat, the leader election and the
/// route-change notifications. Unused with the SQLite state file.
/// </summary>
internal sealed record ClusterOptions
{
    // Linux's limits on a socket's TCP_KEEPIDLE, TCP_KEEPINTVL (seconds) and TCP_KEEPCNT.
    private const int MaxKeepaliveSeconds = 32767;
    private const int MaxKeepaliveCount = 127;

    /// <summary>The replica's region; default <c>default</c>.</summary>
    public string? Region { get; init; }

    /// <summary>The replica's labels, <c>KEY=VALUE[,KEY=VALUE...]</c> (for example <c>hw=cpu,zone=a</c>); default none.</summary>
    public string? Labels { get; init; }

    /// <summary>
    /// The base URL other machines reach this replica's REST front end at (for example
    /// <c>http://10.0.0.5:8000</c>); default derived from the address the server listens on, which
    /// must then be a specific one (not <c>0.0.0.0</c> or <c>[::]</c>).
    /// </summary>
    public string? Advertise { get; init; }

    /// <summary>How often a replica writes its heartbeat (and sweeps for replicas gone quiet). Default 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A replica whose last heartbeat is older than this, by the database's clock, is marked down.
    /// Default 5 s; at least twice <see cref="HeartbeatInterval"/>, so that one late heartbeat is not a death.
    /// </summary>
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A replica marked down longer ago than this is deleted from the registry (ids are per process run, so rows would pile up). Default 1 h.</summary>
    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often a candidate tries to take the leadership, and how often the leader checks that it still holds it. Default 1 s.</summary>
    public TimeSpan LeaderPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the leader's check of its own session, and the route listener's probe of its own,
    /// may take before the session counts as lost (a network that drops packets answers nothing).
    /// Whole seconds (Npgsql's command timeout). Default 2 s.
    /// </summary>
    public TimeSpan SessionCheckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a held session of the membership (the leader election's and the route listener's:
    /// <see cref="HeldSession"/>) may stay quiet before a TCP keepalive probes its peer, on both
    /// sides: PostgreSQL's <c>tcp_keepalives_idle</c>, set for that session alone when it connects,
    /// and the client socket's. Whole seconds, 1 s to 32767 s (Linux's limit). Default 5 s.
    /// </summary>
    public TimeSpan LeaderKeepaliveIdle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The time between unanswered keepalive probes on the held sessions (<c>tcp_keepalives_interval</c>). Whole seconds, 1 s to 32767 s. Default 1 s.</summary>
    public TimeSpan LeaderKeepaliveInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many unanswered probes drop a held session on the server (<c>tcp_keepalives_count</c>),
    /// and with the election's the leader's lock. 1 to 127 (Linux's limit). Default 3: a leader cut
    /// off by a network split loses the lock after <see cref="LeaderDropAfter"/> (8 s by default).
    /// </summary>
    public int LeaderKeepaliveCount { get; init; } = 3;

    /// <summary>
    /// How long the server keeps a held session (the election's, with the lock; the listener's) after its peer went silent:
    /// <see cref="LeaderKeepaliveIdle"/> + <see cref="LeaderKeepaliveCount"/> × <see cref="LeaderKeepaliveInterval"/>.
    /// Also the session's <c>tcp_user_timeout</c> (data unacknowledged that long drops it), and its
    /// <c>client_connection_check_interval</c> is <see cref="LeaderKeepaliveInterval"/>.
    /// </summary>
    public TimeSpan LeaderDropAfter => LeaderKeepaliveIdle + (LeaderKeepaliveCount * LeaderKeepaliveInterval);

    /// <summary>
    /// How often every route table is read again, as the fallback for a notification lost while the
    /// listener was disconnected; also how long the listener's session may stay quiet before it is
    /// probed (wall-clock time: a network timeout). Default 10 s.
    /// </summary>
    public TimeSpan RouteRereadInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a replica may have been marked down (by the database's clock, from the registry's
    /// <c>down_at</c>) before the leader removes the faults scoped to it: replica ids are per process
    /// run, so the rows of one that is gone would otherwise stay for ever, applied by no one. A replica
    /// marked down by mistake (a pause, a late heartbeat, a database that was away) is up again at its
    /// next heartbeat and keeps them; one forgotten by the registry (<see cref="ForgetAfter"/>) counts
    /// as gone. At least twice <see cref="HeartbeatInterval"/>. Default 5 min.
    /// </summary>
    public TimeSpan FaultGrace { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the route listener waits between attempts to reconnect after its first immediate attempt failed. Default 1 s.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The labels as pairs (those <see cref="Problems"/> finds well formed).</summary>
    public IReadOnlyDictionary<string, string> LabelPairs()
    {
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in ReadLabels([]))
        {
            pairs[key] = value;
        }

        return pairs;
    }

    /// <summary>Whether <paramref name="host"/> is a wildcard listen address, which no other machine can reach.</summary>
    public static bool IsAnyAddress(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Trim('[', ']') is "0.0.0.0" or "::" or "*" or "+";
    }

    /// <summary>Every problem with the settings, each naming the setting and what it expects; empty when they are valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Region is not null && string.IsNullOrWhiteSpace(Region))
        {
            problems.Add("cluster.region: expected a region name, got an empty value (leave it out for 'default')");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in ReadLabels(problems).ToList())
        {
            if (!keys.Add(key))
            {
                problems.Add($"cluster.labels: the key '{key}' is given twice in '{Labels}'");
            }

            if (!LabelValue.IsValid(value))
            {
                problems.Add($"cluster.labels: the value of '{key}' is '{value}'; expected {LabelValue.Expected}");
            }
        }

        if (Advertise is not null
            && (!Uri.TryCreate(Advertise, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || IsAnyAddress(uri.Host)))
        {
            problems.Add($"cluster.advertise: expected the http:// or https:// URL other machines reach this replica at (for example http://10.0.0.5:8000), got '{Advertise}'");
        }

        Positive(problems, "cluster.heartbeat_interval", HeartbeatInterval);
        Positive(problems, "cluster.down_after", DownAfter);
        Positive(problems, "cluster.forget_after", ForgetAfter);
        Positive(problems, "cluster.leader_poll_interval", LeaderPollInterval);
        Positive(problems, "cluster.route_reread_interval", RouteRereadInterval);
        Positive(problems, "cluster.reconnect_delay", ReconnectDelay);
        Positive(problems, "cluster.fault_grace", FaultGrace);
        if (SessionCheckTimeout < TimeSpan.FromSeconds(1) || SessionCheckTimeout.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add($"cluster.session_check_timeout: expected whole seconds, at least 1 s, got {SessionCheckTimeout}");
        }

        KeepaliveSeconds(problems, "cluster.leader_keepalive_idle", LeaderKeepaliveIdle);
        KeepaliveSeconds(problems, "cluster.leader_keepalive_interval", LeaderKeepaliveInterval);
        if (LeaderKeepaliveCount is < 1 or > MaxKeepaliveCount)
        {
            problems.Add($"cluster.leader_keepalive_count: expected a whole number of probes from 1 to {MaxKeepaliveCount}, got {LeaderKeepaliveCount}");
        }

        if (RouteRereadInterval > TimeSpan.FromDays(1))
        {
            // It is also the listener's wait, in milliseconds as an int.
            problems.Add($"cluster.route_reread_interval: expected at most 1 day, got {RouteRereadInterval}");
        }

        if (HeartbeatInterval > TimeSpan.Zero && DownAfter < 2 * HeartbeatInterval)
        {
            problems.Add($"cluster.down_after: expected at least twice cluster.heartbeat_interval ({2 * HeartbeatInterval}), got {DownAfter}; one late heartbeat would mark a live replica down");
        }

        if (HeartbeatInterval > TimeSpan.Zero && FaultGrace > TimeSpan.Zero && FaultGrace < 2 * HeartbeatInterval)
        {
            problems.Add($"cluster.fault_grace: expected at least twice cluster.heartbeat_interval ({2 * HeartbeatInterval}), got {FaultGrace}; a replica marked down by mistake is up again at its next heartbeat, and would lose its faults before");
        }

        if (ForgetAfter > TimeSpan.Zero && ForgetAfter < DownAfter)
        {
            problems.Add($"cluster.forget_after: expected at least cluster.down_after ({DownAfter}), got {ForgetAfter}");
        }

        return problems;
    }

    private IEnumerable<(string Key, string Value)> ReadLabels(List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(Labels))
        {
            yield break;
        }

        foreach (var part in Labels.Split(',', StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == part.Length - 1)
            {
                problems.Add($"cluster.labels: expected KEY=VALUE[,KEY=VALUE...], got '{part}' in '{Labels}'");
                continue;
            }

            yield return (part[..equals].Trim(), part[(equals + 1)..].Trim());
        }
    }

    private static void KeepaliveSeconds(List<string> problems, string key, TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1) || value > TimeSpan.FromSeconds(MaxKeepaliveSeconds) || value.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add($"{key}: expected whole seconds from 1 s to {MaxKeepaliveSeconds} s (TCP keepalive times are in seconds), got {value}");
        }
    }

    private static void Positive(List<string> problems, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{key}: expected a positive duration, got {value}");
        }
    }
}
