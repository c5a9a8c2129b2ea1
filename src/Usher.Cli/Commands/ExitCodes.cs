namespace Usher.Cli.Commands;

/// <summary>The exit codes of <c>usher</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Done (a server that was asked to stop and drained also exits 0).</summary>
    public const int Success = 0;

    /// <summary>The server refused the request, answered an error, or could not be reached.</summary>
    public const int Failure = 1;

    /// <summary>A flag or command line could not be parsed (System.CommandLine answers 1; <c>usher</c> maps it to 2).</summary>
    public const int BadCommandLine = 2;

    /// <summary>The settings, the repository, a deployment spec or a client flag are unusable; the message says what to fix.</summary>
    public const int BadSettings = 2;

    /// <summary><c>usher batch</c>: more rows failed than <c>--max-error-fraction</c> allows; the run stopped (resumable).</summary>
    public const int TooManyErrors = 3;

    /// <summary><c>usher optimize quantize</c>: the quantized model's top-1 agreement is below <c>--min-agreement</c>; no version was written.</summary>
    public const int BelowMinAgreement = 4;

    /// <summary><c>usher profile</c>: no point of the sweep has a p99 within <c>--slo-p99-ms</c>; the report is printed.</summary>
    public const int SloNotMet = 4;
}
