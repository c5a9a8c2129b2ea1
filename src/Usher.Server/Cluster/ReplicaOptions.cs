namespace Usher.Server.Cluster;

/// <summary>
/// What a replica says of itself in the registry when replicas share a PostgreSQL database
/// (section <c>cluster</c> of <c>usher.yaml</c>; flags <c>--region</c>, <c>--label</c>,
/// <c>--advertise</c>). Unused with the SQLite state file.
/// </summary>
internal sealed class ReplicaOptions
{
    /// <summary>The replica's region; default <c>default</c>.</summary>
    public string? Region { get; set; }

    /// <summary>The replica's labels, <c>KEY=VALUE[,KEY=VALUE...]</c> (for example <c>hw=cpu,zone=a</c>); default none.</summary>
    public string? Labels { get; set; }

    /// <summary>
    /// The base URL other machines reach this replica's REST front end at (for example
    /// <c>http://10.0.0.5:8000</c>); default derived from the address the server listens on, which
    /// must then be a specific one (not <c>0.0.0.0</c> or <c>[::]</c>).
    /// </summary>
    public string? Advertise { get; set; }

    /// <summary>The labels as pairs; every problem is reported by <see cref="ReplicaOptionsValidator"/>.</summary>
    public IReadOnlyDictionary<string, string> LabelPairs()
    {
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in ReadLabels(Labels, null))
        {
            pairs[key] = value;
        }

        return pairs;
    }

    internal static IEnumerable<(string Key, string Value)> ReadLabels(string? text, List<string>? problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == part.Length - 1)
            {
                problems?.Add($"cluster.labels: expected KEY=VALUE[,KEY=VALUE...], got '{part}' in '{text}'");
                continue;
            }

            yield return (part[..equals].Trim(), part[(equals + 1)..].Trim());
        }
    }
}
