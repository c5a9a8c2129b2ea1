using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>Prints an endpoint's history (<c>GET /admin/endpoints/{e}/history</c>): one line per event.</summary>
internal static class HistoryView
{
    /// <summary>Writes <paramref name="history"/> as text.</summary>
    public static void Write(JsonElement history, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var table = new TextTable("TIME", "ROLLOUT", "KIND", "ACTOR", "MESSAGE");
        foreach (var e in JsonFields.Items(history, "events"))
        {
            var rollout = JsonFields.Get(e, "rollout_id") is not null ? "#" + JsonFields.Text(e, "rollout_id") : JsonFields.Missing;
            table.Add(JsonFields.Time(e, "at"), rollout, JsonFields.Text(e, "kind"), JsonFields.Text(e, "actor"), JsonFields.Text(e, "message"));
        }

        var endpoint = JsonFields.Text(history, "endpoint");
        if (table.Count == 0)
        {
            writer.WriteLine($"no events on {endpoint} yet");
            return;
        }

        writer.WriteLine($"history of {endpoint} ({table.Count} events)");
        table.WriteTo(writer);
    }
}
