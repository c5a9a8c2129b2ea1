namespace Usher.Server.Hosting;

/// <summary>The settings are unusable; <see cref="Errors"/> lists every problem.</summary>
internal sealed class SettingsException : Exception
{
    /// <summary>Creates the exception from every problem found.</summary>
    public SettingsException(IReadOnlyList<string> errors)
        : base("invalid settings:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception.</summary>
    public SettingsException()
        : this([])
    {
    }

    /// <summary>Creates the exception with one message.</summary>
    public SettingsException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with one message and a cause.</summary>
    public SettingsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    /// <summary>Every problem, one per line, naming the setting and where it came from.</summary>
    public IReadOnlyList<string> Errors { get; }
}
