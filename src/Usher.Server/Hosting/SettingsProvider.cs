using Microsoft.Extensions.Configuration;

namespace Usher.Server.Hosting;

/// <summary>
/// A configuration provider of <c>usher serve</c>'s settings that remembers where each key came from,
/// so that a problem names its source (<c>usher.yaml line 2: ...</c>), and what went wrong while
/// reading (a file that is not YAML) as problems rather than exceptions.
/// </summary>
internal abstract class SettingsProvider : ConfigurationProvider, IConfigurationSource
{
    private readonly Dictionary<string, SettingOrigin> _origins = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _keys = [];

    /// <summary>Problems met while reading the source.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>The keys this source sets, in the order it set them.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>Where <paramref name="key"/> came from.</summary>
    public SettingOrigin Origin(string key) => _origins[key];

    IConfigurationProvider IConfigurationSource.Build(IConfigurationBuilder builder) => this;

    /// <summary>Sets the key made of <paramref name="segments"/> (normalised, <see cref="SettingsKeys"/>).</summary>
    protected void Set(IReadOnlyList<string> segments, string? value, SettingOrigin origin)
    {
        var key = SettingsKeys.Normalize(segments);
        if (_origins.TryAdd(key, origin))
        {
            _keys.Add(key);
        }
        else
        {
            _origins[key] = origin;
        }

        Data[key] = value;
    }
}
