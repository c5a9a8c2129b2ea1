namespace Usher.Server.Hosting;

/// <summary>Where a setting came from (<c>usher.yaml line 3</c>, an environment variable, the command line) and its key as written there.</summary>
internal sealed record SettingOrigin(string Source, string Written);
