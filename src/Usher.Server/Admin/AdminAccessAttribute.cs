namespace Usher.Server.Admin;

/// <summary>
/// Endpoint metadata: the endpoint changes or reveals the server's control state, so it needs the
/// admin credential (<see cref="AdminAuthentication"/>). On the admin API's route groups, the
/// repository's load and unload routes, the model artifact download (<c>usher pull</c>), and the gRPC repository control methods, where gRPC
/// copies a method's attributes into its endpoint's metadata.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, Inherited = true)]
internal sealed class AdminAccessAttribute : Attribute
{
    /// <summary>The one instance that routes carry.</summary>
    public static readonly AdminAccessAttribute Instance = new();
}
