namespace Usher.Server.Admin;

/// <summary>Settings of the admin API and the control plane (section <c>admin</c> of <c>usher.yaml</c>).</summary>
internal sealed class AdminOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Admin";

    /// <summary>
    /// The bearer token every <c>/admin</c> request must carry; default none. Without one, the admin
    /// API answers loopback clients only (403 for anyone else).
    /// </summary>
    public string? Token { get; set; }

    /// <summary>
    /// A file of admin tokens instead of <see cref="Token"/>: one <c>NAME TOKEN</c> per line (<c>#</c>
    /// comments), or a single bare token (named <c>admin</c>); default none. Reloaded when it changes;
    /// the name of the token a request carried is what the audit trail records.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// The folder of the control plane's state (<c>usher.db</c>, SQLite); default none: the state lives
    /// with the repository, in <c>&lt;repository&gt;/.usher</c>, or, when the repository is read-only,
    /// in <c>$XDG_STATE_HOME/usher/&lt;key of the repository's path&gt;</c> (docs/configuration.md).
    /// </summary>
    public string? DataDir { get; set; }

    /// <summary>
    /// A PostgreSQL database for the control plane's state instead of the SQLite file,
    /// <c>postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE</c>, which replicas share; default none
    /// (the SQLite file of <see cref="DataDir"/>). Setting both is an error (docs/configuration.md).
    /// </summary>
    public string? State { get; set; }

    /// <summary>How often the rollout controller evaluates active rollouts, in milliseconds; default 1000.</summary>
    public int TickMs { get; set; } = 1000;

    /// <summary>Every problem with these settings, empty when valid (the rules of <see cref="AdminOptionsValidator"/>).</summary>
    public IEnumerable<string> Validate() => new AdminOptionsValidator().Problems(this);
}
