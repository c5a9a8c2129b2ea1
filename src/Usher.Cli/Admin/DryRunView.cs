using System.Text.Encodings.Web;
using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>
/// Prints the answer of <c>POST /admin/deployments?dry_run=true</c> (a <see cref="DryRunDto"/>): that the
/// server accepts the spec and started nothing, then the spec as the server would run it, every default filled in.
/// </summary>
internal static class DryRunView
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(JsonElement answer, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var spec = AdminDto.Read(answer, AdminJsonContext.Default.DryRunDto)?.Spec is { ValueKind: JsonValueKind.Object } s ? s : (JsonElement?)null;
        writer.WriteLine(spec is { } normalized
            ? $"dry run: the server accepts this deployment of {Field(normalized, "model")} version {Field(normalized, "version")} to {Field(normalized, "endpoint")} ({Field(normalized, "strategy")}); nothing was started. As it would run:"
            : "dry run: the server accepts this deployment; nothing was started.");
        if (spec is { } shown)
        {
            writer.WriteLine(JsonSerializer.Serialize(shown, Indented));
        }
    }

    // The spec stays JSON: it is the deployment spec's own format (DeploymentSpecWriter), printed as it came.
    private static string Field(JsonElement spec, string name)
        => spec.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
            : JsonFields.Missing;
}
