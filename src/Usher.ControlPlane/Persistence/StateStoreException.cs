namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The state store cannot be used: its folder is not a writable folder, its file is not a usable
/// database, another server holds it, or it belongs to another repository; or its PostgreSQL server
/// cannot be reached, the database is not there or refuses the login. The message names the file
/// or the server and database (never a password) and what to do; <c>usher serve</c> prints it alone
/// and exits 2.
/// </summary>
internal sealed class StateStoreException : InvalidOperationException
{
    /// <summary>Creates the exception with the message to show.</summary>
    public StateStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message to show and its cause.</summary>
    public StateStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers; prefer a message).</summary>
    public StateStoreException()
    {
    }
}
