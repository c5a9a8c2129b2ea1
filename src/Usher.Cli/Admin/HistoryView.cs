using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>Prints an endpoint's history (<c>GET /admin/endpoints/{e}/history</c>): one line per event.</summary>
internal static class HistoryView
{
    /// <summary>Writes <paramref name="body"/> (a <see cref="HistoryDto"/>) as text.</summary>
    public static void Write(JsonElement body, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var history = AdminDto.Read(body, AdminJsonContext.Default.HistoryDto);
        var table = new TextTable("TIME", "ROLLOUT", "KIND", "ACTOR", "MESSAGE");
        foreach (var e in history?.Events ?? [])
        {
            var rollout = e.RolloutId is { } id ? "#" + JsonFields.Text(id) : JsonFields.Missing;
            table.Add(JsonFields.Time(e.At), rollout, JsonFields.Text(e.Kind), JsonFields.Text(e.Actor), JsonFields.Text(e.Message));
        }

        var endpoint = JsonFields.Text(history?.Endpoint);
        if (table.Count == 0)
        {
            writer.WriteLine($"no events on {endpoint} yet");
            return;
        }

        writer.WriteLine($"history of {endpoint} ({table.Count} events)");
        table.WriteTo(writer);
    }
}
