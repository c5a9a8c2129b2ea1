using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>Prints <c>GET /admin/endpoints</c>: each endpoint's variants and weights, rollout and faults, then the stored state not resumed.</summary>
internal static class EndpointsView
{
    /// <summary>Writes <paramref name="list"/> as text.</summary>
    public static void Write(JsonElement list, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var table = new TextTable("ENDPOINT", "VARIANTS", "ROLLOUT", "FAULTS");
        foreach (var endpoint in JsonFields.Items(list, "endpoints"))
        {
            var variants = JsonFields.Items(endpoint, "variants")
                .Select(v => $"{JsonFields.Text(v, "model")}:{JsonFields.Text(v, "version")} {JsonFields.Text(v, "weight")}%");
            var rollout = JsonFields.Get(endpoint, "rollout") is { } r
                ? $"#{JsonFields.Text(r, "id")} {JsonFields.Text(r, "strategy")} {JsonFields.Text(r, "phase")}"
                : JsonFields.Missing;
            var faults = JsonFields.Items(endpoint, "faults")
                .Select(f => $"{JsonFields.Text(f, "variant")} {FaultView.Describe(f)}");
            table.Add(JsonFields.Text(endpoint, "name"), OrMissing(variants), rollout, OrMissing(faults));
        }

        if (table.Count == 0)
        {
            writer.WriteLine("no endpoints (the server has loaded no model)");
        }
        else
        {
            table.WriteTo(writer);
        }

        WriteStale(list, writer);
    }

    // Stored state the server did not resume at start-up because the repository lacks what it names.
    private static void WriteStale(JsonElement list, TextWriter writer)
    {
        var stale = JsonFields.Items(list, "stale").ToList();
        if (stale.Count == 0)
        {
            return;
        }

        writer.WriteLine();
        writer.WriteLine($"not resumed at start-up ({stale.Count}):");
        foreach (var entry in stale)
        {
            writer.WriteLine($"  {JsonFields.Text(entry, "endpoint")}: {JsonFields.Text(entry, "message")}");
        }
    }

    private static string OrMissing(IEnumerable<string> items)
    {
        var text = string.Join(", ", items);
        return text.Length == 0 ? JsonFields.Missing : text;
    }
}
