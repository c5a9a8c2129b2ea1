namespace Usher.Server.Hosting;

/// <summary>The settings that <c>usher serve</c>'s flags set (keys <c>section:key</c>, e.g. <c>server:http_port</c>); they win over every other source.</summary>
internal sealed class CommandLineSettingsProvider(IReadOnlyDictionary<string, string> overrides) : SettingsProvider
{
    public override void Load()
    {
        foreach (var (key, value) in overrides)
        {
            Set(key.Split(':'), value, new SettingOrigin("command line", key));
        }
    }
}
