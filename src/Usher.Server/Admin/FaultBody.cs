using System.Text.Json;
using Usher.Core.Routing;

namespace Usher.Server.Admin;

/// <summary>
/// The body of <c>PUT /admin/endpoints/{e}/faults/{version}</c> (docs/admin-api.md): the fault and the
/// replica it is scoped to. Every problem of the body is reported, each with its key; whether the
/// replica is one that is up is the endpoint's check, which needs the registry.
/// </summary>
internal static class FaultBody
{
    /// <summary>The key that scopes a fault to one replica.</summary>
    public const string ReplicaKey = "replica";

    /// <summary>The keys a body may have.</summary>
    internal static readonly string[] Keys = ["abort_fraction", "abort_status", "delay_ms", "delay_fraction", ReplicaKey];

    /// <summary>
    /// Reads <paramref name="root"/>, adding each problem to <paramref name="problems"/>; what it returns
    /// is only to be used when none was added (a key's default stands in for a refused value).
    /// </summary>
    public static (FaultSpec Fault, string? Replica) Read(JsonElement root, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"expected a JSON object with {string.Join(", ", Keys)}");
            return (new FaultSpec(), null);
        }

        // Each key read on its own so that every problem is reported, each with its key.
        problems.AddRange(root.EnumerateObject().Where(p => !Keys.Contains(p.Name)).Select(p => $"{p.Name}: unknown key; expected one of {string.Join(", ", Keys)}"));
        var fault = new FaultSpec(
            Number(root, "abort_fraction", 0, problems),
            (int)Number(root, "abort_status", 503, problems),
            Number(root, "delay_ms", 0, problems),
            Number(root, "delay_fraction", 0, problems));
        var replica = Text(root, ReplicaKey, problems);
        problems.AddRange(fault.Problems());
        return (fault, replica);
    }

    private static string? Text(JsonElement root, string key, List<string> problems)
    {
        if (!root.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (node.ValueKind == JsonValueKind.String && node.GetString() is { Length: > 0 } value)
        {
            return value;
        }

        problems.Add($"{key}: expected a replica id (see `usher replicas`), got {node.GetRawText()}");
        return null;
    }

    private static double Number(JsonElement root, string key, double fallback, List<string> problems)
    {
        if (!root.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (node.ValueKind == JsonValueKind.Number && node.TryGetDouble(out var value))
        {
            return value;
        }

        problems.Add($"{key}: expected a number, got {node}");
        return fallback;
    }
}
