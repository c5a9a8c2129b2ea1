namespace Usher.Core.Models.Yaml;

/// <summary>Finds the key a user most likely meant: a near spelling, another casing, or Triton's name for it.</summary>
internal static class KeySuggestions
{
    // Triton's config.pbtxt names for settings that have another name here.
    private static readonly Dictionary<string, string> TritonNames = new(StringComparer.Ordinal)
    {
        ["instance_group"] = "instances",
        ["response_cache"] = "cache",
        ["model_warmup"] = "warmup",
        ["input"] = "inputs",
        ["output"] = "outputs",
        ["data_type"] = "datatype",
        ["enable"] = "enabled",
    };

    /// <summary>The known key closest to <paramref name="key"/>, or null when none is close.</summary>
    public static string? Suggest(string key, IReadOnlyList<string> knownKeys)
    {
        if (TritonNames.TryGetValue(key, out var renamed) && knownKeys.Contains(renamed))
        {
            return renamed;
        }

        var normalized = Normalize(key);
        var threshold = Math.Clamp(normalized.Length / 3, 1, 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var known in knownKeys)
        {
            var distance = Distance(normalized, Normalize(known));
            if (distance <= threshold && distance < bestDistance)
            {
                best = known;
                bestDistance = distance;
            }
        }

        return best;
    }

    // maxBatchSize, max-batch-size and MAX_BATCH_SIZE all mean max_batch_size.
    private static string Normalize(string key)
        => new([.. key.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant)]);

    // Edit distance counting a swap of neighbours as one edit (optimal string alignment): "nmae" is 1 from "name".
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(d[i - 1, j - 1] + cost, Math.Min(d[i - 1, j], d[i, j - 1]) + 1);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
