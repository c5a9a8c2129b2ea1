using System.Text.Json;

namespace Usher.Capacity.Profile;

/// <summary>
/// Reads <c>usher profile --output json</c> (docs/optimize.md, <c>src/Usher.Cli/Profile/ProfileRecord.cs</c>):
/// the point named, else the recommended one, else the model's default configuration.
/// </summary>
internal static class ProfileReader
{
    /// <summary>The replica of <paramref name="point"/> (an id, <c>default</c>, <c>recommended</c> or null); problems say what is wrong.</summary>
    public static ReplicaProfile? Read(string json, string? point, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            problems.Add($"profile: not JSON ({e.Message})");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("points", out var points) || points.ValueKind != JsonValueKind.Array)
            {
                problems.Add("profile: expected the object of 'usher profile --output json', with a 'points' array");
                return null;
            }

            var recommended = root.TryGetProperty("recommendation", out var r) && r.ValueKind == JsonValueKind.Object
                ? r.GetProperty("point").GetString()
                : null;
            var id = point switch
            {
                null or "recommended" => recommended ?? root.GetProperty("default").GetString(),
                "default" => root.GetProperty("default").GetString(),
                _ => point,
            };
            if (point == "recommended" && recommended is null)
            {
                problems.Add("profile: it recommends no point (none met its SLO); name one with --point ID or use --point default");
                return null;
            }

            var found = points.EnumerateArray().FirstOrDefault(p => p.GetProperty("id").GetString() == id);
            if (found.ValueKind != JsonValueKind.Object)
            {
                var ids = string.Join(", ", points.EnumerateArray().Select(p => p.GetProperty("id").GetString()));
                problems.Add($"profile: no point '{id}'; its points are {ids}");
                return null;
            }

            var throughput = found.GetProperty("throughput_rps").GetDouble();
            if (!(throughput > 0) || found.GetProperty("errors").GetInt64() > 0)
            {
                problems.Add($"profile: point '{id}' answered nothing or had errors; pick another with --point");
                return null;
            }

            var config = found.GetProperty("config");
            double? slo = root.TryGetProperty("slo_p99_ms", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : null;
            var baseMiB = root.TryGetProperty("base_memory_mib", out var b) ? b.GetDouble() : 0;
            return new ReplicaProfile(
                root.GetProperty("model").GetString() ?? "",
                id!,
                throughput,
                config.GetProperty("instances").GetInt32(),
                config.GetProperty("batch_size").GetInt32(),
                found.GetProperty("cores").GetInt32(),
                found.GetProperty("p99_ms").GetDouble(),
                slo,
                baseMiB + found.GetProperty("memory").GetProperty("peak_mib").GetDouble());
        }
    }
}
