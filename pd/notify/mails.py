"""The shipped mail templates (SPEC 6, 12): one English msgid per kind, its Latvian in pd.po.

Each text is a whole mail as ``render`` reads it: line 1 ``Subject: …``, a blank line, the body,
``string.Template`` placeholders (``$number``, ``${urgent_marker}``). ``render`` translates the
kind's text into the mail's language with ``gettext_in(lang, TEMPLATES[kind])``; a deployment's
own file in ``PD_TEMPLATES_DIR/<lang>/<kind>.txt`` still wins.
"""
from __future__ import annotations

from ..i18n import N_

# TRANSLATORS (every template): a whole mail. Keep line 1 "Subject: …" and its [PD $number] tag, the
# blank line 2, every $placeholder, and the line breaks (a line whose placeholders are empty is left out).
TEMPLATES: dict[str, str] = {
    "assigned_expert": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, ${urgent_word}request No. $number has been assigned to you.

Note: $note

Response deadline: $response_due
Resolution deadline: $resolution_due
Received: $received_at

Service: $service_full
Description of the service needed:
$description

Requester: $requester_name
Institution: $requester_institution
Unit: $requester_unit
Position: $requester_position
Phone: $requester_phone
E-mail: $requester_email
Workplace: $workplace
User name in the information system: $username

Before the response deadline, please reply to this message: do you accept
the request, or — if it is not within your competence — why do you reject
it? Please also keep the Service Desk informed of the progress and the
result, and tell it in good time if anything keeps the request from being
resolved by its deadline.

How to answer: reply to this message with, on the first line, ACCEPT,
REJECT and the reason, RESOLVED and the result, DELAYED dd.mm.yyyy and why.

If the request is not accepted or not resolved in time, it will be sent
with a report on its progress to your direct manager (internal rules
No. 3P, point 8.4).

Remember: asking for or passing on a user's password is forbidden.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "forwarded_user": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, your request No. $number is registered and with an expert.

Resolution deadline: $resolution_due

Requester: $requester_name
Service: $service_name
Your request:
$description

If the expert contacts you to clarify anything, please give them the
information they need. When you contact the Service Desk about this
request, please quote its number, $number, or simply reply to this message.

The Service Desk never asks for your password. Please do not send it by
e-mail or tell it over the phone.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "delay_user": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, we are sorry: your request No. $number is delayed.

Resolution deadline: $resolution_due
Planned completion date: $planned_date
Reason for the delay: $delay_reason

Service: $service_name
Your request:
$description

We apologise for the inconvenience. The Service Desk will tell you when
the request has been resolved.

If you have any questions, reply to this message or call $desk_phone.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "resolved_user": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, your request No. $number has been resolved.

Result:
$result

Service: $service_name
Your request:
$description

If you have any objection to the result, please tell us by replying to
this message or by calling $desk_phone.
Objections by: $close_by ($close_after after the resolution)
If there is no objection by then, the request will be closed.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "closed_user": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, your request No. $number has been closed.
$closed_why

Result:
$result

Service: $service_name
Your request:
$description

Should you need the service again, please submit a new request to the
Service Desk. Thank you for using the services of the Information Centre
of the Ministry of the Interior.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "refused_user": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, we cannot carry out your request No. $number.

The service requested is not within the competence of the Information
Centre of the Ministry of the Interior.
Explanation: $reason

Service: $service_name
Your request:
$description

To receive this service, please contact your institution's person
responsible for information and communication technologies.
$ict_contact_heading
$ict_contact

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "escalation_manager": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, request No. $number has been escalated to you (level $level).

Reason: $reason_label.
The operator's note: $note

Under point 8.4 of internal rules No. 3P, the Service Desk sends you the
request and a report on its progress, as $role.
$earlier

Expert: $expert_name
Status: $status_label
Response deadline: $response_due
Resolution deadline: $resolution_due
Planned completion date: $planned_date

Service: $service_full
Description of the service needed:
$description

Requester: $requester_name
Institution: $requester_institution
Phone: $requester_phone
E-mail: $requester_email
Workplace: $workplace

Progress:
$history

Please see to it that the request is dealt with, and tell the Service Desk
what was done by replying to this message.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "question_user": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, to resolve your request No. $number the expert needs more information.

Question:
$question

Please reply to this message. While we wait for your answer, the
resolution time does not run; once your answer arrives, work goes on.

Service: $service_name
Your request:
$description

The Service Desk never asks for your password. Please do not send it by
e-mail.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "answer_expert": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, the answer to the question about request No. $number has come.
Work goes on.

Question:
$question

Answer:
$answer

Answer received: $answer_via
Resolution deadline: $resolution_due

Requester: $requester_name
Phone: $requester_phone
E-mail: $requester_email

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "taken_expert": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, request No. $number is no longer assigned to you.
The Service Desk has assigned it to $to_new_expert.

Reason: $reason

You need not answer about this request any more. Thank you.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "reopened_user": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, your request No. $number has been reopened because you objected to its result.

Objection: $reason

The request is being worked on again. The Service Desk will tell you
when it is resolved.

Service: $service_name
Your request:
$description

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "reopened_expert": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, request No. $number is back with you: the user objected to the result, and the Service Desk has reopened the request.

Objection: $reason

The user's message:
$objection

The previous result:
$previous_result

Resolution deadline: $resolution_due

Please look into the request again. When it is resolved, reply to this
message with RESOLVED and the result on the first line.

Requester: $requester_name
Phone: $requester_phone
E-mail: $requester_email

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "reminder_expert": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, request No. $number: its $deadline_word is near.

Deadline: $deadline
Time left: $time_left

$todo

Service: $service_full
Description of the service needed:
$description

Requester: $requester_name
Phone: $requester_phone

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "command_expert": N_("""Subject: [PD $number] ${urgent_marker}$title

Hello, your answer about request No. $number has been received.

$outcome

$detail

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "monthly_report": N_("""Subject: [PD report $month] Report on your institution's users' requests: $institution_name

Hello,

Under point 11 of internal rules No. 3P, the Information Centre of the
Ministry of the Interior sends the monthly report on the requests of the
institution's users and their results.

Institution: $institution_name
Period: $month

Summary:
$summary

The detailed report is attached. It opens on its summary sheet and is
laid out for printing on A4.

Audit anchor (events:SHA-256):
$anchor
The anchor is the state of the Service Desk's event log when the report
was made. Please keep it: with it one can check that the log has not
been changed since.

If you have any questions, please contact the Service Desk.

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "monthly_report_overview": N_("""Subject: [PD report $month] The Service Desk's report across all institutions

Hello,

The Service Desk sends the monthly overview of all institutions' users'
requests: deadlines met per service and per expert group, the trend of
the last 12 months, open requests by age, and the escalations.

Period: $month

Summary:
$summary

The report is attached. It opens on its summary sheet and is laid out
for printing on A4.

Audit anchor (events:SHA-256):
$anchor

Kind regards,
$desk_name
Phone: $desk_phone
E-mail: $desk_email
"""),
    "desk_notice": N_("""Subject: [PD $number] $title

A message was not sent: $what.

Reason: $reason.

$todo

The text of the message that was not sent:
$details

— pd, the Service Desk's tool
"""),
}
