using System.Collections;

namespace Usher.Server.Hosting;

/// <summary>
/// The <c>USHER_</c> environment variables as configuration, as Microsoft.Extensions.Configuration
/// names them: <c>__</c> separates the levels, so <c>USHER_SERVER__HTTP_PORT</c> is
/// <c>server.http_port</c> and <c>USHER_STREAMS__0__NAME</c> is the first stream's name. A variable
/// without <c>__</c> is not a setting.
/// </summary>
internal sealed class EnvironmentSettingsProvider(IDictionary variables) : SettingsProvider
{
    /// <summary>The prefix of the variables that hold settings.</summary>
    public const string Prefix = "USHER_";

    public override void Load()
    {
        foreach (DictionaryEntry entry in variables)
        {
            // A name without "__" names no setting: USHER_SERVER and USHER_TOKEN are the client
            // commands' variables, often set in the shell that starts the server too.
            if (entry.Key is string name && name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                && name.Contains("__", StringComparison.Ordinal))
            {
                Set(name[Prefix.Length..].Split("__"), entry.Value as string ?? string.Empty, new SettingOrigin($"environment variable {name}", name));
            }
        }
    }
}
