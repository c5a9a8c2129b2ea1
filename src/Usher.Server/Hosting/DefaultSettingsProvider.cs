namespace Usher.Server.Hosting;

/// <summary>
/// Defaults that the host finds where it runs (keys <c>section:key</c>, e.g. the bundled samples as
/// <c>repository:path</c>); every other source wins over them, usher.yaml included.
/// </summary>
internal sealed class DefaultSettingsProvider(IReadOnlyDictionary<string, string> defaults) : SettingsProvider
{
    public override void Load()
    {
        foreach (var (key, value) in defaults)
        {
            Set(key.Split(':'), value, new SettingOrigin("default", key));
        }
    }
}
