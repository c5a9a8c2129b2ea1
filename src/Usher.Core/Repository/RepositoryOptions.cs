namespace Usher.Core.Repository;

/// <summary>Settings of the model repository (section <c>repository</c> of <c>usher.yaml</c>).</summary>
public sealed class RepositoryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Repository";

    /// <summary>The repository folder. Default: the bundled <c>samples/models</c>.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>Seconds between scans for new or changed versions; 0 (default) = no polling.</summary>
    public int PollSeconds { get; set; }

    /// <summary>Model versions loaded at the same time; default 4.</summary>
    public int LoadParallelism { get; set; } = 4;

    /// <summary>How long an unloaded or replaced version may take to finish its in-flight requests; default 30 s.</summary>
    public int UnloadTimeoutSeconds { get; set; } = 30;

    /// <summary>Server readiness needs every model ready (Triton's strict readiness); default true.</summary>
    public bool StrictReadiness { get; set; } = true;

    /// <summary>Every problem with these settings, empty when valid (the rules of <see cref="RepositoryOptionsValidator"/>).</summary>
    public IEnumerable<string> Validate() => new RepositoryOptionsValidator().Problems(this);
}
