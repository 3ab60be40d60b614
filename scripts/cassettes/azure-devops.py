"""Azure DevOps cassettes, from the real example bodies of azure-devops and other real bodies.

No real ``Timeline - Get`` response was found (the official specs have no example for it), so
every timeline here is constructed: the wrapper has the fields the 7.1 spec gives ``Timeline``
(``records, lastChangedBy, lastChangedOn, id, changeId, url``) with values of ours, and the
records inside are real, byte for byte:
- a record of type Job captured by Apache DevLake from dev.azure.com (its e2e fixture
  backend/plugins/azuredevops_go/e2e/raw_tables/_raw_azuredevops_go_api_timeline_records.csv,
  row 1: organization johndoe, build 12);
- the official TimelineRecord example of type Task (reference job.json).
The two come from different builds, so the Task's parentId is not the Job's id.
Error bodies: reference error.json (official 400 example); a BuildNotFoundException body quoted
in a public tool's source; the 401 body in microsoft/azure-devops-auth-samples#52.
"""

from _lib import interaction, reference, write

CLOUD = "https://dev.azure.com"
SERVER = "https://tfs.example.com/tfs"
PATH = "/johndoe/test-project/_apis/build/builds/12/timeline?api-version=7.1"
JSON = {"Content-Type": "application/json; charset=utf-8; api-version=7.1"}

JOB_RECORD = (
    '{"previousAttempts":[],"id":"cfa20e98-6997-523c-4233-f0a7302c929f","parentId":'
    '"9ecf18fe-987d-5811-7c63-300aecae35da","type":"Job","name":"deploy production","startTime":'
    '"2023-02-25T06:22:36.8066667Z","finishTime":"2023-02-25T06:22:43.2333333Z","currentOperation":'
    'null,"percentComplete":null,"state":"completed","result":"succeeded","resultCode":null,'
    '"changeId":18,"lastModified":"0001-01-01T00:00:00","workerName":"HostedAgent","queueId":9,'
    '"order":1,"details":null,"errorCount":0,"warningCount":0,"url":null,"log":{"id":10,"type":'
    '"Container","url":"https://dev.azure.com/johndoe/0d50ba13-f9ad-49b0-9b21-d29eda50ca33/_apis/'
    'build/builds/12/logs/10"},"task":null,"attempt":1,"identifier":"job_2.__default"}'
)
TASK_RECORD = reference("azure-devops", "job.json").strip()
TIMELINE_ID = "787562d7-f1da-59cf-22c4-8a94fa784503"


def timeline(*records: str) -> str:
    return (
        '{"records":[' + ",".join(records) + '],'
        '"lastChangedBy":"00000002-0000-8888-8000-000000000000",'
        '"lastChangedOn":"2023-02-25T06:22:43.3Z",'
        f'"id":"{TIMELINE_ID}","changeId":18,'
        '"url":"https://dev.azure.com/johndoe/0d50ba13-f9ad-49b0-9b21-d29eda50ca33/_apis/build/'
        f'builds/12/Timeline/{TIMELINE_ID}"}}'
    )


TIMELINE = timeline(JOB_RECORD, TASK_RECORD)
NOTE = ("Body: constructed Timeline wrapper around two real records (see the script's docstring):\n"
        "DevLake's Job record cfa20e98-... and the official Task record example 5e6d5dbf-....")

write("azure-devops", "get_job", NOTE, [interaction(CLOUD + PATH, TIMELINE, headers=JSON)])
write(
    "azure-devops",
    "get_job_server",
    NOTE + "\nServed from an Azure DevOps Server collection: base URL https://tfs.example.com/tfs,\n"
    "organization = the collection DefaultCollection.",
    [interaction(SERVER + PATH.replace("/johndoe/", "/DefaultCollection/"), TIMELINE, headers=JSON)],
)
write(
    "azure-devops",
    "not_found",
    "Body: the BuildNotFoundException body Azure DevOps sends for a build that does not exist,\n"
    "quoted verbatim in a comment of a public C# log-pulling tool (namespace pulllogs); it was\n"
    "seen on Builds - Get, and the timeline of a missing build is taken to answer the same.",
    [interaction(
        CLOUD + "/johndoe/test-project/_apis/build/builds/139106/timeline?api-version=7.1",
        '{"$id":"1","innerException":null,"message":"The requested build 139106 could not be found.",'
        '"typeName":"Microsoft.TeamFoundation.Build.WebApi.BuildNotFoundException, '
        'Microsoft.TeamFoundation.Build2.WebApi","typeKey":"BuildNotFoundException","errorCode":0,'
        '"eventId":3000}',
        status=404, message="Not Found", headers=JSON)],
)
write(
    "azure-devops",
    "bad_credentials",
    "Body: the 401 body Azure DevOps sent for an expired token, quoted in\n"
    "microsoft/azure-devops-auth-samples#52 (as the issue printed it, indented).",
    [interaction(CLOUD + PATH, """{
  "eventId": 3000,
  "$id": "1",
  "errorCode": 0,
  "typeName": "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server",
  "innerException": null,
  "message": "TF400813: The user '' is not authorized to access this resource.",
  "typeKey": "UnauthorizedRequestException"
}""", status=401, message="Unauthorized",
        headers={**JSON, "WWW-Authenticate": 'Basic realm="https://tfsprodcin2.visualstudio.com/"'})],
)
write(
    "azure-devops",
    "bad_request",
    "Body: the official 400 example of the standard error body (reference error.json; it is the\n"
    "Graph API's example, so its message is about a descriptor, not a build).",
    [interaction(CLOUD + PATH, reference("azure-devops", "error.json"), status=400,
                 message="Bad Request", headers=JSON)],
)
write("azure-devops", "list_jobs", NOTE + "\nThe timeline comes whole: one page.",
      [interaction(CLOUD + PATH, TIMELINE, headers=JSON)])
write(
    "azure-devops",
    "list_empty",
    "Body: constructed: a timeline whose only record is the official Task example, so the build\n"
    "has no record of type Job.",
    [interaction(CLOUD + PATH, timeline(TASK_RECORD), headers=JSON)],
)
