namespace Usher.Server.Hosting;

/// <summary>
/// The keys of Usher's settings. In the sections of <see cref="SettingsSchema"/> a key is matched
/// without regard to case or underscores (<c>http_port</c>, <c>HTTP_PORT</c> and <c>HttpPort</c> are
/// one setting), so each source stores it without underscores, which the configuration binder
/// matches to the property (case is ignored by configuration anyway). Keys of other sections are
/// kept as written.
/// </summary>
internal static class SettingsKeys
{
    /// <summary>The key for <paramref name="segments"/> (<c>server</c>, <c>http_port</c>): <c>server:httpport</c>.</summary>
    public static string Normalize(IReadOnlyList<string> segments)
    {
        if (segments.Count == 0 || SettingsSchema.SectionType(Flat(segments[0])) is not { } type)
        {
            return string.Join(':', segments);
        }

        // Property names are flattened level by level (server:tls:certificate); the keys of a
        // mapping (an endpoint's name under server.rate_limits.endpoints) stay as written.
        var parts = segments.ToArray();
        parts[0] = Flat(parts[0]);
        for (var i = 1; i < parts.Length && type is not null; i++)
        {
            if (SettingsSchema.MapValueType(type) is { } valueType)
            {
                type = valueType;
                continue;
            }

            if (SettingsSchema.IsScalar(type))
            {
                break;
            }

            parts[i] = Flat(parts[i]);
            type = SettingsSchema.Property(type, parts[i])?.PropertyType;
        }

        return string.Join(':', parts);
    }

    /// <summary><paramref name="name"/> in lower case without underscores.</summary>
    public static string Flat(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    /// <summary><c>HttpPort</c> as <c>http_port</c>.</summary>
    public static string ToSnake(string name)
        => string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
