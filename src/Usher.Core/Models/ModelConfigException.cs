namespace Usher.Core.Models;

/// <summary>A <c>config.yaml</c> is not valid; the message lists every error found, one per line.</summary>
internal sealed class ModelConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigException()
    {
    }

    /// <summary>Creates the exception with a message for the user.</summary>
    public ModelConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ModelConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from every error found; the message joins them by newlines.</summary>
    public ModelConfigException(IReadOnlyList<ModelConfigError> errors)
        : base(string.Join('\n', errors ?? throw new ArgumentNullException(nameof(errors))))
    {
        Errors = errors;
    }

    /// <summary>The errors found, in the order of the file; empty when built from a message alone.</summary>
    public IReadOnlyList<ModelConfigError> Errors { get; } = [];
}
