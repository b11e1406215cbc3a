namespace ActorStream.SchemaRegistry.Internal;

/// <summary>A request the registry refuses, with Confluent's HTTP status and error code.</summary>
internal sealed class RegistryException(int status, int errorCode, string message) : Exception(message)
{
    public int Status { get; } = status;

    public int ErrorCode { get; } = errorCode;
}

/// <summary>Confluent Schema Registry error codes and messages.</summary>
internal static class RegistryErrors
{
    public static RegistryException SubjectNotFound(string subject) => new(404, 40401, $"Subject '{subject}' not found.");

    public static RegistryException VersionNotFound(string subject, string version) => new(404, 40402, $"Version {version} not found for subject '{subject}'.");

    public static RegistryException SchemaNotFound(string what) => new(404, 40403, $"Schema {what} not found.");

    public static RegistryException SubjectSoftDeleted(string subject) =>
        new(404, 40404, $"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently");

    public static RegistryException SubjectNotSoftDeleted(string subject) =>
        new(404, 40405, $"Subject '{subject}' was not deleted first before being permanently deleted");

    public static RegistryException VersionSoftDeleted(string subject, int version) =>
        new(404, 40406, $"Subject '{subject}' Version {version} was soft deleted. Set permanent=true to delete permanently");

    public static RegistryException VersionNotSoftDeleted(string subject, int version) =>
        new(404, 40407, $"Subject '{subject}' Version {version} was not deleted first before being permanently deleted");

    public static RegistryException SubjectConfigNotFound(string subject) =>
        new(404, 40408, $"Subject '{subject}' does not have subject-level compatibility configured");

    public static RegistryException Incompatible(string details) =>
        new(409, 409, $"Schema being registered is incompatible with an earlier schema for subject; details: {details}");

    public static RegistryException InvalidSchema(string details) => new(422, 42201, $"Invalid schema: {details}");

    public static RegistryException InvalidVersion(string version) =>
        new(422, 42202, $"The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");

    public static RegistryException InvalidCompatibilityLevel(string level) =>
        new(422, 42203, $"Invalid compatibility level '{level}'. Valid values are: {CompatibilityLevels.AllowedList}");

    public static RegistryException ReferenceExists(string subject, int version, IEnumerable<int> ids) =>
        new(422, 42206, $"One or more references exist to the schema {{subject={subject}, version={version}}}: schema ids [{string.Join(", ", ids)}]");

    public static RegistryException InvalidSubject(string subject) =>
        new(422, 42208, $"Invalid subject '{subject}': a subject is 1 to 255 characters without control characters");

    public static RegistryException BadRequest(string message) => new(400, 400, message);

    public static RegistryException UnsupportedMediaType(string contentType) =>
        new(415, 415, $"Unsupported content type '{contentType}'; send application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json or application/octet-stream");

    public static RegistryException TooLarge(long limit) =>
        new(413, 413, $"Request body is larger than {limit} bytes (actorstream.schema-registry.max-request-bytes)");

    public static RegistryException StoreError(string message) => new(500, 50001, $"Error in the backend data store: {message}");
}
