# args: -kernel protected.elf -append mode=demo,answer=42
# finish from the entry of a function that calls another one in a loop
# (put_number calls udivmod64 once per digit): it must stop at put_number's
# own return, in kprintf, before anything else is printed.
break put_number
continue
delete
finish
print $esp
quit
