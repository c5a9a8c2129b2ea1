using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>Prints <c>GET /admin/endpoints</c>: each endpoint's variants and weights, rollout and faults, then the stored state not resumed.</summary>
internal static class EndpointsView
{
    /// <summary>Writes <paramref name="body"/> (an <see cref="EndpointListDto"/>) as text.</summary>
    public static void Write(JsonElement body, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var list = AdminDto.Read(body, AdminJsonContext.Default.EndpointListDto);
        var table = new TextTable("ENDPOINT", "VARIANTS", "ROLLOUT", "FAULTS");
        foreach (var endpoint in list?.Endpoints ?? [])
        {
            var variants = (endpoint.Variants ?? []).Select(v => $"{JsonFields.Text(v.Model)}:{JsonFields.Text(v.Version)} {JsonFields.Text(v.Weight)}%");
            var rollout = endpoint.Rollout is { } r
                ? $"#{JsonFields.Text(r.Id)} {JsonFields.Text(r.Strategy)} {JsonFields.Text(r.Phase)}"
                : JsonFields.Missing;
            var faults = (endpoint.Faults ?? []).Select(f => $"{JsonFields.Text(f.Variant)} {FaultView.Describe(f)}{FaultView.Scope(f.Replica)}");
            table.Add(JsonFields.Text(endpoint.Name), OrMissing(variants), rollout, OrMissing(faults));
        }

        if (table.Count == 0)
        {
            writer.WriteLine("no endpoints (the server has loaded no model)");
        }
        else
        {
            table.WriteTo(writer);
        }

        WriteStale(list?.Stale ?? [], writer);
    }

    // Stored state the server did not resume at start-up because the repository lacks what it names.
    private static void WriteStale(IReadOnlyList<StaleStateDto> stale, TextWriter writer)
    {
        if (stale.Count == 0)
        {
            return;
        }

        writer.WriteLine();
        writer.WriteLine($"not resumed at start-up ({stale.Count}):");
        foreach (var entry in stale)
        {
            writer.WriteLine($"  {JsonFields.Text(entry.Endpoint)}: {JsonFields.Text(entry.Message)}");
        }
    }

    private static string OrMissing(IEnumerable<string> items)
    {
        var text = string.Join(", ", items);
        return text.Length == 0 ? JsonFields.Missing : text;
    }
}
