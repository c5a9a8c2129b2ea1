using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>Prints <c>GET /admin/replicas</c>: one row per replica, the leader marked.</summary>
internal static class ReplicasView
{
    /// <summary>Writes <paramref name="body"/> (a <see cref="ReplicaListDto"/>) as text.</summary>
    public static void Write(JsonElement body, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var list = AdminDto.Read(body, AdminJsonContext.Default.ReplicaListDto);
        var table = new TextTable("ID", "STATE", "SINCE", "REGION", "LABELS", "HTTP", "GRPC", "MODELS", "QUEUE", "IN-FLIGHT", "CAPACITY");
        foreach (var replica in list?.Replicas ?? [])
        {
            var state = (replica.Up, replica.Leader) switch
            {
                (true, true) => "up, leader",
                (true, false) => "up",
                _ => "down",
            };
            var labels = string.Join(",", (replica.Labels ?? new Dictionary<string, string>()).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
            var models = string.Join(", ", (replica.Models ?? []).Select(m => $"{JsonFields.Text(m.Model)}:{JsonFields.Text(m.Version)}{(m.Ready ? "" : " (not ready)")}"));
            table.Add(
                JsonFields.Text(replica.Id),
                state,
                JsonFields.Time(replica.Up ? replica.HeartbeatAt : replica.DownAt),
                JsonFields.Text(replica.Region),
                labels.Length == 0 ? JsonFields.Missing : labels,
                JsonFields.Text(replica.HttpAddress),
                JsonFields.Text(replica.GrpcAddress),
                models.Length == 0 ? JsonFields.Missing : models,
                JsonFields.Text(replica.QueueDepth),
                JsonFields.Text(replica.InFlight),
                JsonFields.Text(replica.Capacity));
        }

        if (table.Count == 0)
        {
            writer.WriteLine("no replicas registered");
            return;
        }

        table.WriteTo(writer);
        writer.WriteLine($"(SINCE: the last heartbeat of a replica that is up, when a down one was marked down; answered by {JsonFields.Text(list?.AnsweredBy)})");
    }
}
