using System.Text.Encodings.Web;
using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>
/// Prints the answer of <c>POST /admin/deployments?dry_run=true</c>: that the server accepts the spec and
/// started nothing, then the spec as the server would run it, every default filled in.
/// </summary>
internal static class DryRunView
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(JsonElement answer, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var spec = JsonFields.Get(answer, "spec");
        writer.WriteLine(spec is { } s
            ? $"dry run: the server accepts this deployment of {JsonFields.Text(s, "model")} version {JsonFields.Text(s, "version")} to {JsonFields.Text(s, "endpoint")} ({JsonFields.Text(s, "strategy")}); nothing was started. As it would run:"
            : "dry run: the server accepts this deployment; nothing was started.");
        if (spec is { } normalized)
        {
            writer.WriteLine(JsonSerializer.Serialize(normalized, Indented));
        }
    }
}
