using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>System.Text.Json source generation for <c>usher profile --output json</c>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ProfileRecord))]
internal sealed partial class ProfileJsonContext : JsonSerializerContext;
